import { parseArgs } from 'node:util';

/**
 * The admin CLI's grammar (`npm run admin -- COMMAND`), declared once: the parser and every help
 * text are built from the table below, so `--help` cannot drift from what is accepted. This file
 * only turns argv into a typed command; running it is someone else's job.
 *
 * A password is never an argument: argv lands in shell history and is readable by every local
 * user in `ps` / `/proc/PID/cmdline`. `users create` reads it from standard input or a prompt.
 */

/** Who a command is about: an email, or (where allowed) a numeric id as LoopBack 3 gave it. */
export type UserRef = { email: string } | { id: number };

export type AdminCommand =
  | { name: 'users list'; search: string | null; unverified: boolean; json: boolean }
  | { name: 'users show'; user: UserRef; json: boolean }
  | {
      name: 'users create';
      email: string;
      username: string | null;
      verified: boolean;
      invite: boolean;
      json: boolean;
    }
  | { name: 'users verify'; email: string; json: boolean }
  | { name: 'users reset-link'; email: string; print: boolean; json: boolean }
  | { name: 'users disable' | 'users enable' | 'users delete'; email: string; json: boolean }
  | { name: 'sessions revoke'; email: string; json: boolean }
  | { name: 'import lb3'; file: string; model: string | null; dryRun: boolean; json: boolean }
  | { name: 'export'; file: string; withPasswordHashes: boolean; json: boolean };

export type CommandName = AdminCommand['name'];

/**
 * What the entry point does next: run a command, print help (exit 0), or print the one-line
 * `message` on stderr and exit with status 2 (a usage error, as getopt tools do).
 */
export type ParsedArgs =
  | { kind: 'command'; command: AdminCommand }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

type OptionSpec = {
  type: 'string' | 'boolean';
  /** Shown in the help as `--flag VALUE`. */
  value?: string;
  required?: boolean;
  description: string;
};

type CommandSpec = {
  /** Positional arguments after the command's words, all required. */
  args: readonly { name: string; description: string }[];
  options: Readonly<Record<string, OptionSpec>>;
  summary: string;
  /** Extra lines at the end of the command's help. */
  notes?: readonly string[];
};

const JSON_OPTION: OptionSpec = {
  type: 'boolean',
  description: 'print JSON instead of a table, for scripts',
};
const EMAIL_ARG = { name: 'EMAIL', description: "the account's email (case does not matter)" };

export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  'users list': {
    args: [],
    options: {
      search: {
        type: 'string',
        value: 'TEXT',
        description: 'only accounts whose email or username contains TEXT',
      },
      unverified: { type: 'boolean', description: 'only accounts whose email is not verified' },
    },
    summary: 'list accounts',
  },
  'users show': {
    args: [{ name: 'EMAIL|ID', description: 'the account, by email or by numeric id' }],
    options: {},
    summary: "show one account and its sessions' metadata",
  },
  'users create': {
    args: [],
    options: {
      email: { type: 'string', value: 'E', required: true, description: 'the new account’s email' },
      username: { type: 'string', value: 'U', description: 'an optional username' },
      verified: {
        type: 'boolean',
        description: 'mark the email verified (you checked the mailbox yourself)',
      },
      invite: { type: 'boolean', description: 'email a link to choose a password instead of reading one' },
    },
    summary: 'create an account',
    notes: [
      'The password is read from standard input (one line) or typed at a prompt that does not echo;',
      'it is never an argument, which shell history and `ps` would show.',
    ],
  },
  'users verify': { args: [EMAIL_ARG], options: {}, summary: 'mark an email verified' },
  'users reset-link': {
    args: [EMAIL_ARG],
    options: {
      print: { type: 'boolean', description: 'print the link instead of emailing it (for a support person)' },
    },
    summary: 'email (or print) a password-reset link',
  },
  'users disable': {
    args: [EMAIL_ARG],
    options: {},
    summary: 'stop an account: it cannot log in and every token of it stops working',
  },
  'users enable': { args: [EMAIL_ARG], options: {}, summary: 'let a disabled account log in again' },
  'users delete': { args: [EMAIL_ARG], options: {}, summary: 'delete an account and its tokens' },
  'sessions revoke': {
    args: [EMAIL_ARG],
    options: {},
    summary: 'log an account out everywhere (every token)',
  },
  'import lb3': {
    args: [{ name: 'FILE', description: 'a LoopBack 3 memory-connector file, or a JSON array of users' }],
    options: {
      model: {
        type: 'string',
        value: 'M',
        description: 'the user model in the file (default: the one whose records carry email and password)',
      },
      'dry-run': { type: 'boolean', description: 'say what would be imported, change nothing' },
    },
    summary: "import a LoopBack 3 app's users, password hashes and live tokens",
  },
  export: {
    args: [{ name: 'FILE', description: 'where to write the JSON' }],
    options: {
      'with-password-hashes': {
        type: 'boolean',
        description: 'include the bcrypt hashes (keep the file secret)',
      },
    },
    summary: 'write every account as JSON, for backups and moves between stores',
  },
};

const PROGRAM = 'npm run admin --';
const NAMES = Object.keys(COMMANDS) as CommandName[];

const isCommandName = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

function usageLine(name: CommandName): string {
  const spec = COMMANDS[name];
  const parts = [PROGRAM, name, ...spec.args.map((arg) => arg.name)];
  for (const [flag, option] of Object.entries(spec.options)) {
    const text = option.type === 'string' ? `--${flag} ${option.value ?? 'VALUE'}` : `--${flag}`;
    parts.push(option.required ? text : `[${text}]`);
  }
  parts.push('[--json]');
  return parts.join(' ');
}

/** The help of one command, or of the whole CLI. */
export function helpText(name?: CommandName): string {
  if (name === undefined) {
    const width = Math.max(...NAMES.map((command) => command.length));
    return [
      `Usage: ${PROGRAM} COMMAND [ARGS] [--json]`,
      '',
      'Commands:',
      ...NAMES.map((command) => `  ${command.padEnd(width)}  ${COMMANDS[command].summary}`),
      '',
      `Every command takes --json (machine-readable output) and --help. Run ${PROGRAM} COMMAND --help for its options.`,
      'Exit status: 0 done, 1 the command failed (the reason on one line), 2 a usage error.',
      '',
    ].join('\n');
  }
  const spec = COMMANDS[name];
  const rows: [string, string][] = [
    ...spec.args.map((arg): [string, string] => [arg.name, arg.description]),
    ...Object.entries(spec.options).map(([flag, option]): [string, string] => [
      option.type === 'string' ? `--${flag} ${option.value ?? 'VALUE'}` : `--${flag}`,
      option.required ? `${option.description} (required)` : option.description,
    ]),
    ['--json', JSON_OPTION.description],
    ['--help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: ${usageLine(name)}`,
    '',
    `${spec.summary[0]?.toUpperCase() ?? ''}${spec.summary.slice(1)}.`,
    '',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    ...(spec.notes ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}

class UsageError extends Error {}

/** The command's words at the front of argv: two for grouped commands, one for `export`. */
function splitCommand(argv: readonly string[]): { name: CommandName; rest: string[] } | null {
  const [first, second] = argv;
  if (second !== undefined && isCommandName(`${first} ${second}`)) {
    return { name: `${first} ${second}` as CommandName, rest: argv.slice(2) };
  }
  if (first !== undefined && isCommandName(first)) return { name: first, rest: argv.slice(1) };
  return null;
}

function unknownCommand(argv: readonly string[]): string {
  const [first, second] = argv;
  const group = NAMES.filter((name) => name.startsWith(`${first} `));
  if (group.length > 0) {
    const choices = group.map((name) => name.slice(String(first).length + 1)).join(', ');
    return second === undefined || second.startsWith('-')
      ? `'${first}' needs a subcommand: ${choices}`
      : `unknown command '${first} ${second}' (${first} commands: ${choices})`;
  }
  return `unknown command '${first}'`;
}

type Values = Record<string, string | boolean>;

/** Reads the options and positionals of one command from its tokens, with our own one-line errors. */
function readTokens(name: CommandName, rest: readonly string[]): { values: Values; positionals: string[] } {
  const spec = COMMANDS[name];
  const known: Record<string, OptionSpec> = { ...spec.options, json: JSON_OPTION };
  const { tokens } = parseArgs({
    args: [...rest],
    // Declared so parseArgs knows which flags take a value; unknown ones come back as tokens.
    options: Object.fromEntries(Object.entries(known).map(([flag, option]) => [flag, { type: option.type }])),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: Values = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    if (token.name === 'password') {
      throw new UsageError(
        `${name}: no --password: a password in the arguments is seen by shell history and ps; pipe it on standard input or type it at the prompt`,
      );
    }
    const option = known[token.name];
    if (!option) throw new UsageError(`${name}: unknown option ${token.rawName}`);
    if (Object.hasOwn(values, token.name)) throw new UsageError(`${name}: ${token.rawName} given twice`);
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${name}: ${token.rawName} takes no value`);
      values[token.name] = true;
      continue;
    }
    // `--search --json` would otherwise search for "--json": a value may not look like an option.
    if (token.value === undefined || (token.inlineValue !== true && token.value.startsWith('-'))) {
      throw new UsageError(`${name}: ${token.rawName} needs a value (${option.value ?? 'VALUE'})`);
    }
    if (token.value.trim() === '') throw new UsageError(`${name}: ${token.rawName} is empty`);
    values[token.name] = token.value;
  }
  for (const [flag, option] of Object.entries(spec.options)) {
    if (option.required && !Object.hasOwn(values, flag)) {
      throw new UsageError(`${name}: --${flag} ${option.value ?? 'VALUE'} is required`);
    }
  }
  const expected = spec.args.map((arg) => arg.name);
  if (positionals.length < expected.length) {
    throw new UsageError(`${name}: missing ${expected.slice(positionals.length).join(' ')}`);
  }
  if (positionals.length > expected.length) {
    throw new UsageError(`${name}: unexpected argument '${positionals[expected.length]}'`);
  }
  return { values, positionals };
}

/** A light check so a swapped argument is caught here; the real email rules live in auth/. */
function emailArg(name: CommandName, value: string | undefined, what = 'EMAIL'): string {
  const email = value?.trim() ?? '';
  if (!/^[^@\s]+@[^@\s]+$/.test(email))
    throw new UsageError(`${name}: ${what} '${value ?? ''}' is not an email`);
  return email;
}

function userRef(name: CommandName, value: string | undefined): UserRef {
  const text = value?.trim() ?? '';
  if (/^[0-9]+$/.test(text)) {
    const id = Number(text);
    if (Number.isSafeInteger(id) && id >= 1) return { id };
    throw new UsageError(`${name}: ID must be a whole number from 1`);
  }
  return { email: emailArg(name, text, 'EMAIL|ID') };
}

function build(name: CommandName, values: Values, positionals: readonly string[]): AdminCommand {
  const flag = (key: string) => values[key] === true;
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' ? value : null;
  };
  const json = flag('json');
  const [first] = positionals;
  switch (name) {
    case 'users list':
      return { name, search: text('search'), unverified: flag('unverified'), json };
    case 'users show':
      return { name, user: userRef(name, first), json };
    case 'users create':
      return {
        name,
        email: emailArg(name, text('email') ?? undefined, '--email'),
        username: text('username'),
        verified: flag('verified'),
        invite: flag('invite'),
        json,
      };
    case 'users verify':
    case 'users disable':
    case 'users enable':
    case 'users delete':
    case 'sessions revoke':
      return { name, email: emailArg(name, first), json };
    case 'users reset-link':
      return { name, email: emailArg(name, first), print: flag('print'), json };
    case 'import lb3':
      return { name, file: first ?? '', model: text('model'), dryRun: flag('dry-run'), json };
    case 'export':
      return { name, file: first ?? '', withPasswordHashes: flag('with-password-hashes'), json };
  }
}

/**
 * Parses `npm run admin -- …` arguments (without node and the script). Never throws: every bad
 * input becomes `{kind: 'error', message}` with a one-line reason naming the command.
 */
export function parseAdminArgs(argv: readonly string[]): ParsedArgs {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = argv.slice(1);
    const named = topic.length > 0 ? splitCommand(topic) : null;
    if (topic.length > 0 && !named) return { kind: 'error', message: unknownCommand(topic) };
    return { kind: 'help', text: helpText(named?.name) };
  }
  const found = splitCommand(argv);
  if (!found) return { kind: 'error', message: unknownCommand(argv) };
  // --help anywhere after the command wins over everything else on the line, as in git and npm.
  const terminator = found.rest.indexOf('--');
  const flags = terminator === -1 ? found.rest : found.rest.slice(0, terminator);
  if (flags.some((arg) => arg === '--help' || arg === '-h')) {
    return { kind: 'help', text: helpText(found.name) };
  }
  try {
    const { values, positionals } = readTokens(found.name, found.rest);
    return { kind: 'command', command: build(found.name, values, positionals) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'error', message: error.message };
    throw error;
  }
}
