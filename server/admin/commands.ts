import {
  createAccount,
  deleteAccountAsAdmin,
  listAccounts,
  requireAccount,
  resetLinkFor,
  revokeSessions,
  setAccountDisabled,
  verifyAccount,
} from '../auth/admin.js';
import { type AccountView, exportUsers, importLb3, viewAccount } from '../auth/admin-import.js';
import { AuthError } from '../auth/errors.js';
import { listAccessTokens } from '../auth/sessions.js';
import type { AuthDeps } from '../auth/types.js';
import type { UserRecord } from '../store/store.js';
import type { AdminCommand } from './cli-args.js';
import { Lb3FormatError, parseLb3Data } from './lb3-format.js';
import { formatTable } from './table.js';

/**
 * Runs one parsed admin command against the domain, in whichever process holds the store (the
 * server behind its admin socket, or the CLI itself). Files are the CLI's business: it reads an
 * import's text before and writes an export's after, so a server never opens a path an operator
 * typed relative to another directory.
 */

/** What a command needs besides its arguments. */
export type CommandInput = { password?: string; fileText?: string };

/** `data` is printed by --json, `text` otherwise; `fileOut` is what `export` writes to FILE. */
export type CommandResult = { data: unknown; text: string; fileOut?: string };

/** A command that could not be done; `message` is the one line the CLI prints. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

const PROBLEM_WORDS: Record<string, string> = {
  presence: "can't be blank",
  'custom.email': 'is not an email address',
  characters: 'holds characters that are not allowed',
  format: 'is not a valid username',
  uniqueness: 'is taken by another account',
  'password.tooShort': 'is too short',
  'password.tooLong': 'is too long',
  'password.common': 'is one of the most common passwords',
  'password.repetitive': 'is a repeated or sequential pattern',
  'password.matchesEmail': 'is the email address',
  'password.matchesUsername': 'is the username',
};

/** The domain's codes in the operator's words, one line. */
function wordsOf(error: AuthError): string {
  if (error.code === 'USER_NOT_FOUND') return 'no such account';
  if (error.code === 'PASSWORD_TOO_LONG') return 'password: is longer than 72 bytes';
  if (error.code === 'VALIDATION_ERROR' && error.problems) {
    return Object.entries(error.problems)
      .map(([field, codes]) => `${field}: ${codes.map((code) => PROBLEM_WORDS[code] ?? code).join(', ')}`)
      .join('; ');
  }
  return error.code;
}

type View = AccountView;

const USER_COLUMNS = [
  { header: 'ID', value: (row: View) => row.id },
  { header: 'EMAIL', value: (row: View) => row.email },
  { header: 'USERNAME', value: (row: View) => row.username },
  { header: 'VERIFIED', value: (row: View) => row.emailVerified },
  { header: 'DISABLED', value: (row: View) => row.disabled },
  { header: 'CREATED', value: (row: View) => row.created },
];

function accountLine(verb: string, user: UserRecord): string {
  return `${verb} account ${user.id} (${user.email})\n`;
}

async function run(deps: AuthDeps, command: AdminCommand, input: CommandInput): Promise<CommandResult> {
  switch (command.name) {
    case 'users list': {
      const users = (await listAccounts(deps, command)).map(viewAccount);
      return { data: users, text: formatTable(USER_COLUMNS, users, '(no accounts)') };
    }
    case 'users show': {
      const user = await requireAccount(deps, command.user);
      const sessions = (await listAccessTokens(deps, user.id)).map((token) => {
        // Issue 14's metadata, when the store keeps it (never the hash: it would be a way in).
        const meta = token as typeof token & {
          lastUsed?: string | null;
          userAgent?: string | null;
          ip?: string | null;
        };
        return {
          created: token.created,
          expiresAt: token.expiresAt,
          lastUsed: meta.lastUsed ?? null,
          userAgent: meta.userAgent ?? null,
          ip: meta.ip ?? null,
        };
      });
      const shown = viewAccount(user);
      const rows: [string, string | number | boolean | null][] = Object.entries(shown);
      const text =
        formatTable(
          [
            { header: 'FIELD', value: (row: (typeof rows)[number]) => row[0] },
            { header: 'VALUE', value: (row: (typeof rows)[number]) => row[1] },
          ],
          rows,
        ) +
        `\nSessions (live access tokens): ${sessions.length}\n` +
        (sessions.length > 0
          ? formatTable(
              [
                { header: 'CREATED', value: (row: (typeof sessions)[number]) => row.created },
                { header: 'EXPIRES', value: (row: (typeof sessions)[number]) => row.expiresAt },
                { header: 'LAST USED', value: (row: (typeof sessions)[number]) => row.lastUsed },
                { header: 'IP', value: (row: (typeof sessions)[number]) => row.ip },
                { header: 'DEVICE', value: (row: (typeof sessions)[number]) => row.userAgent },
              ],
              sessions,
            )
          : '');
      return { data: { ...shown, sessions }, text };
    }
    case 'users create': {
      if (!command.invite && input.password === undefined) throw new CommandFailed('no password given');
      const user = await createAccount(deps, {
        email: command.email,
        username: command.username,
        verified: command.verified,
        password: command.invite ? null : (input.password ?? ''),
      });
      const note = command.invite
        ? 'an invitation to choose a password was emailed'
        : command.verified
          ? 'email marked verified'
          : 'a verification link was emailed';
      return { data: viewAccount(user), text: `${accountLine('Created', user).trimEnd()}: ${note}\n` };
    }
    case 'users verify': {
      const user = await verifyAccount(deps, await requireAccount(deps, command));
      return { data: viewAccount(user), text: accountLine('Verified', user) };
    }
    case 'users reset-link': {
      const user = await requireAccount(deps, command);
      const { link } = await resetLinkFor(deps, user, { print: command.print });
      // A printed link is logged in the account's security activity (auth/admin.ts).
      return {
        data: { ...viewAccount(user), link, emailed: link === null },
        text: link ? `${link}\n` : accountLine('Emailed a reset link to', user),
      };
    }
    case 'users disable':
    case 'users enable': {
      const disable = command.name === 'users disable';
      const user = await setAccountDisabled(deps, await requireAccount(deps, command), disable);
      return { data: viewAccount(user), text: accountLine(disable ? 'Disabled' : 'Enabled', user) };
    }
    case 'users delete': {
      const user = await requireAccount(deps, command);
      const deleted = await deleteAccountAsAdmin(deps, user);
      if (!deleted) throw new CommandFailed('no such account');
      return { data: { id: user.id, email: user.email, deleted }, text: accountLine('Deleted', user) };
    }
    case 'sessions revoke': {
      const user = await requireAccount(deps, command);
      const revoked = await revokeSessions(deps, user);
      return {
        data: { id: user.id, email: user.email, revoked },
        text: `Revoked ${revoked} session${revoked === 1 ? '' : 's'} of account ${user.id} (${user.email})\n`,
      };
    }
    case 'import lb3':
      return runImport(deps, command, input);
    case 'export': {
      const users = await exportUsers(deps, { withPasswordHashes: command.withPasswordHashes });
      return {
        data: { file: command.file, users: users.length, withPasswordHashes: command.withPasswordHashes },
        text: `Exported ${users.length} account${users.length === 1 ? '' : 's'} to ${command.file}${command.withPasswordHashes ? ' (with password hashes: keep it safe)' : ''}\n`,
        fileOut: `${JSON.stringify(users, null, 2)}\n`,
      };
    }
  }
}

async function runImport(
  deps: AuthDeps,
  command: Extract<AdminCommand, { name: 'import lb3' }>,
  input: CommandInput,
): Promise<CommandResult> {
  let data: ReturnType<typeof parseLb3Data>;
  try {
    data = parseLb3Data(input.fileText ?? '', command.model ? { model: command.model } : {});
  } catch (error) {
    if (error instanceof Lb3FormatError) throw new CommandFailed(`${command.file}: ${error.message}`);
    throw error;
  }
  const summary = await importLb3(deps, data, { dryRun: command.dryRun });
  const { users, tokens } = summary;
  const would = summary.dryRun ? 'would be ' : '';
  const lines = [
    `${summary.dryRun ? 'Dry run (nothing written): ' : ''}${data.shape === 'memory-file' ? `model "${data.model}"` : 'user array'}`,
    `Users:  ${users.read} read, ${users.imported} ${would}imported, ${users.unchanged} already here, ${users.skipped} skipped`,
    `Tokens: ${tokens.read} read, ${tokens.imported} ${would}imported, ${tokens.expired} expired, ${tokens.resetScoped} reset link${tokens.resetScoped === 1 ? '' : 's'} left out, ${tokens.skipped} skipped`,
    `Malformed rows: ${summary.malformed}`,
  ];
  const problems =
    summary.problems.length > 0
      ? `\nNot imported:\n${formatTable(
          [
            { header: 'ROW', value: (row: (typeof summary.problems)[number]) => row.where },
            { header: 'REASON', value: (row: (typeof summary.problems)[number]) => row.reason },
          ],
          summary.problems,
        )}`
      : '';
  return { data: summary, text: `${lines.join('\n')}\n${problems}` };
}

/** Runs `command`; every refusal becomes CommandFailed with its one line. */
export async function runCommand(
  deps: AuthDeps,
  command: AdminCommand,
  input: CommandInput = {},
): Promise<CommandResult> {
  try {
    return await run(deps, command, input);
  } catch (error) {
    if (error instanceof AuthError) throw new CommandFailed(wordsOf(error));
    throw error;
  }
}
