import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AdminCommand,
  COMMANDS,
  type CommandName,
  helpText,
  parseAdminArgs,
} from '../../server/admin/cli-args.js';
import { formatTable } from '../../server/admin/table.js';

const args = (line: string) => line.split(' ').filter(Boolean);

function command(line: string): AdminCommand {
  const parsed = parseAdminArgs(args(line));
  assert.equal(parsed.kind, 'command', `${line}: ${JSON.stringify(parsed)}`);
  return parsed.kind === 'command' ? parsed.command : assert.fail();
}

function usageError(line: string | string[]): string {
  const parsed = parseAdminArgs(typeof line === 'string' ? args(line) : line);
  assert.equal(parsed.kind, 'error', `${String(line)}: ${JSON.stringify(parsed)}`);
  const message = parsed.kind === 'error' ? parsed.message : '';
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  return message;
}

test('every command parses into its typed form, defaults filled in', () => {
  const cases: [string, AdminCommand][] = [
    ['users list', { name: 'users list', search: null, unverified: false, json: false }],
    [
      'users list --search ada --unverified --json',
      { name: 'users list', search: 'ada', unverified: true, json: true },
    ],
    ['users show ada@example.com', { name: 'users show', user: { email: 'ada@example.com' }, json: false }],
    ['users show 42 --json', { name: 'users show', user: { id: 42 }, json: true }],
    [
      'users create --email ada@example.com',
      {
        name: 'users create',
        email: 'ada@example.com',
        username: null,
        verified: false,
        invite: false,
        json: false,
      },
    ],
    [
      'users create --email=ada@example.com --username ada --verified --invite',
      {
        name: 'users create',
        email: 'ada@example.com',
        username: 'ada',
        verified: true,
        invite: true,
        json: false,
      },
    ],
    ['users verify ada@example.com', { name: 'users verify', email: 'ada@example.com', json: false }],
    [
      'users reset-link ada@example.com --print',
      { name: 'users reset-link', email: 'ada@example.com', print: true, json: false },
    ],
    ['users disable ada@example.com', { name: 'users disable', email: 'ada@example.com', json: false }],
    ['users enable ada@example.com', { name: 'users enable', email: 'ada@example.com', json: false }],
    ['users delete ada@example.com --json', { name: 'users delete', email: 'ada@example.com', json: true }],
    ['sessions revoke ada@example.com', { name: 'sessions revoke', email: 'ada@example.com', json: false }],
    ['import lb3 db.json', { name: 'import lb3', file: 'db.json', model: null, dryRun: false, json: false }],
    [
      'import lb3 ./old/db.json --model user --dry-run --json',
      { name: 'import lb3', file: './old/db.json', model: 'user', dryRun: true, json: true },
    ],
    ['export users.json', { name: 'export', file: 'users.json', withPasswordHashes: false, json: false }],
    [
      'export users.json --with-password-hashes',
      { name: 'export', file: 'users.json', withPasswordHashes: true, json: false },
    ],
  ];
  for (const [line, expected] of cases) assert.deepEqual(command(line), expected, line);
  // Options may come before positionals, as parseArgs allows.
  assert.deepEqual(command('users show --json 7'), { name: 'users show', user: { id: 7 }, json: true });
  // A value that starts with '-' is still possible, inline.
  assert.deepEqual(command('users list --search=-dash'), {
    name: 'users list',
    search: '-dash',
    unverified: false,
    json: false,
  });
  // After `--`, an argument that looks like a flag is a file name.
  assert.deepEqual(command('export -- --weird.json'), {
    name: 'export',
    file: '--weird.json',
    withPasswordHashes: false,
    json: false,
  });
});

test('every command in the table is reachable and has --help naming all its options', () => {
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    const parsed = parseAdminArgs([...name.split(' '), '--help']);
    assert.equal(parsed.kind, 'help', name);
    const text = parsed.kind === 'help' ? parsed.text : '';
    assert.ok(text.startsWith(`Usage: npm run admin -- ${name}`), text);
    for (const flag of [...Object.keys(COMMANDS[name].options), 'json', 'help']) {
      assert.ok(text.includes(`--${flag}`), `${name} --help lacks --${flag}`);
    }
    assert.equal(text, helpText(name));
    // -h and `help COMMAND` say the same.
    assert.deepEqual(parseAdminArgs([...name.split(' '), '-h']), parsed);
    assert.deepEqual(parseAdminArgs(['help', ...name.split(' ')]), parsed);
  }
});

test('--help wins over a bad flag on the same line (asking for help is never an error)', () => {
  assert.equal(parseAdminArgs(args('users list --bogus --help')).kind, 'help');
  assert.equal(parseAdminArgs(args('users show --help')).kind, 'help');
});

test('no command, --help or help prints the overview listing every command', () => {
  for (const line of ['', '--help', '-h', 'help']) {
    const parsed = parseAdminArgs(args(line));
    assert.equal(parsed.kind, 'help', line);
    const text = parsed.kind === 'help' ? parsed.text : '';
    for (const name of Object.keys(COMMANDS))
      assert.ok(text.includes(`  ${name}  `) || text.includes(`  ${name} `), name);
    assert.equal(text, helpText());
  }
});

test('users create: the password help says stdin or prompt; --password is refused with why', () => {
  assert.match(helpText('users create'), /standard input.*prompt/s);
  assert.match(
    usageError('users create --email ada@example.com --password hunter2hunter2'),
    /^users create: no --password: .*shell history and ps/,
  );
  assert.match(usageError('users create --email=ada@example.com --password=x'), /no --password/);
  assert.equal(usageError('users create'), 'users create: --email E is required');
});

test('unknown commands and bad flags: one line naming the command and the problem', () => {
  const cases: [string | string[], string][] = [
    ['frobnicate', "unknown command 'frobnicate'"],
    ['users', "'users' needs a subcommand: list, show, create, verify, reset-link, disable, enable, delete"],
    [
      'users --json',
      "'users' needs a subcommand: list, show, create, verify, reset-link, disable, enable, delete",
    ],
    [
      'users remove ada@example.com',
      "unknown command 'users remove' (users commands: list, show, create, verify, reset-link, disable, enable, delete)",
    ],
    ['sessions', "'sessions' needs a subcommand: revoke"],
    ['import', "'import' needs a subcommand: lb3"],
    ['import csv x.csv', "unknown command 'import csv' (import commands: lb3)"],
    ['help frobnicate', "unknown command 'frobnicate'"],
    ['users list --bogus', 'users list: unknown option --bogus'],
    ['users list -x', 'users list: unknown option -x'],
    ['users list --print', 'users list: unknown option --print'],
    ['users list --search', 'users list: --search needs a value (TEXT)'],
    ['users list --search --json', 'users list: --search needs a value (TEXT)'],
    [['users', 'list', '--search', ' '], 'users list: --search is empty'],
    ['users list --search a --search b', 'users list: --search given twice'],
    ['users list --json=yes', 'users list: --json takes no value'],
    ['users list extra', "users list: unexpected argument 'extra'"],
    ['users show', 'users show: missing EMAIL|ID'],
    ['users show 0', 'users show: ID must be a whole number from 1'],
    ['users show 99999999999999999999', 'users show: ID must be a whole number from 1'],
    ['users show ada', "users show: EMAIL|ID 'ada' is not an email"],
    ['users verify', 'users verify: missing EMAIL'],
    ['users verify not-an-email', "users verify: EMAIL 'not-an-email' is not an email"],
    ['users delete a@example.com b@example.com', "users delete: unexpected argument 'b@example.com'"],
    ['users create --email ada', "users create: --email 'ada' is not an email"],
    ['import lb3', 'import lb3: missing FILE'],
    ['import lb3 db.json --model', 'import lb3: --model needs a value (M)'],
    ['export', 'export: missing FILE'],
    ['export out.json --with-hashes', 'export: unknown option --with-hashes'],
  ];
  for (const [line, message] of cases) assert.equal(usageError(line), message, String(line));
});

test('tables: aligned columns, numbers to the right, yes/no and - for empty cells, no trailing spaces', () => {
  const rows = [
    { id: 1, email: 'ada@example.com', username: 'ada', verified: true },
    { id: 12, email: 'b@example.com', username: null, verified: false },
  ];
  const text = formatTable(
    [
      { header: 'ID', value: (row: (typeof rows)[number]) => row.id },
      { header: 'EMAIL', value: (row) => row.email },
      { header: 'USERNAME', value: (row) => row.username },
      { header: 'VERIFIED', value: (row) => row.verified },
    ],
    rows,
  );
  assert.equal(
    text,
    [
      'ID  EMAIL            USERNAME  VERIFIED',
      '--  ---------------  --------  --------',
      ' 1  ada@example.com  ada       yes',
      '12  b@example.com    -         no',
      '',
    ].join('\n'),
  );
  assert.equal(
    formatTable([{ header: 'EMAIL', value: (row: { email: string }) => row.email }], []),
    '(none)\n',
  );
  assert.equal(formatTable([], [], 'no accounts match'), 'no accounts match\n');
});

test('tables: a cell cannot drive the terminal (escapes, newlines, bidi overrides are shown as \\u…)', () => {
  const hostile = 'x\u001b[2K\r\nroot@example.com\u202e';
  const text = formatTable(
    [{ header: 'EMAIL', value: (row: { email: string }) => row.email }],
    [{ email: hostile }],
  );
  assert.equal(text.split('\n').length, 4);
  assert.ok(!/[\p{Cc}\p{Cf}]/u.test(text.replaceAll('\n', '')));
  assert.ok(text.includes('x\\u001b[2K\\u000d\\u000aroot@example.com\\u202e'));
  // Accented addresses keep their row's alignment (width counted in code points).
  const aligned = formatTable(
    [
      { header: 'EMAIL', value: (row: { email: string; n: number }) => row.email },
      { header: 'N', value: (row) => row.n },
    ],
    [
      { email: 'zoë@example.com', n: 1 },
      { email: 'zoe@example.com', n: 2 },
    ],
  );
  const [, , first, second] = aligned.split('\n');
  assert.equal(first?.length, second?.length);
});
