import { randomBytes } from 'node:crypto';
import { expiryOf, type NewToken, type UserRecord } from '../store/store.js';
import { listAccounts } from './admin.js';
import { type ImportedUser, type ImportOutcome, isDisabled } from './admin-store.js';
import { canonicalEmail, canonicalUsername } from './canonical.js';
import { hashToken, looksLikeToken } from './tokens.js';
import type { AuthDeps } from './types.js';

/**
 * Moving a LoopBack 3 app's users in (issue 18.2) and every user out (18.3). The file's shape is
 * read in admin/lb3-format.ts; the rules are here: the same canonical email and username keys as
 * sign-up (so "Carol@Example.com" and "carol@example.com", two accounts under LoopBack 3's
 * case-sensitive default, cannot both come in), hashes kept as they are (the next login rehashes
 * at our cost: admin-rehash.ts), and only live access tokens, stored by their hash.
 */

/** A row left out, and why: named by model and position or user id, never by a secret. */
export type ImportProblem = Readonly<{ where: string; reason: string }>;

/** A LoopBack 3 AccessToken as read from its file (admin/lb3-format.ts reads that shape). */
export type ImportToken = Readonly<{
  id: string;
  userId: number;
  ttl: number;
  created: string;
  scopes: readonly string[] | null;
}>;

/** What the reader of a LoopBack 3 file hands the domain. */
export type ImportSource = Readonly<{
  users: readonly Readonly<{
    id: number;
    email: string;
    username: string | null;
    passwordHash: string;
    emailVerified: boolean;
  }>[];
  tokens: readonly ImportToken[];
  problems: readonly ImportProblem[];
  nextId: number | null;
}>;

/** What an import did, or (dry run) would do. Rows are named by id, never by token or hash. */
export type ImportSummary = {
  dryRun: boolean;
  /** Rows (users or tokens) the file's reader could not take at all. */
  malformed: number;
  /** `read`: well-formed user rows; `skipped`: those the rules or the store refused. */
  users: { read: number; imported: number; unchanged: number; skipped: number };
  tokens: { read: number; imported: number; expired: number; resetScoped: number; skipped: number };
  problems: ImportProblem[];
};

const RESET_SCOPE = 'reset-password';

/** LoopBack's eternal token (ttl -1) gets our longest lifetime from now, as a fresh login would. */
function tokenOf(token: ImportToken, now: Date, maxTtl: number): NewToken | 'expired' {
  const created = Date.parse(token.created);
  const ttl = token.ttl === -1 ? Math.ceil((now.getTime() - created) / 1000) + maxTtl : token.ttl;
  const expiresAt = expiryOf(token.created, ttl);
  if (Date.parse(expiresAt) <= now.getTime()) return 'expired';
  return {
    hash: hashToken(token.id),
    kind: 'access',
    created: token.created,
    ttl,
    expiresAt,
    // Issue 14's public id (LoopBack's `:fk` in the session list), never derived from the secret.
    id: randomBytes(9).toString('base64url'),
    session: 'api',
  };
}

/**
 * Imports the users and live tokens of a LoopBack 3 file, keeping ids. Rows the rules refuse are
 * reported and left out; the rest still go in. Running it again changes nothing.
 */
export async function importLb3(
  deps: AuthDeps,
  data: ImportSource,
  options: { dryRun: boolean },
): Promise<ImportSummary> {
  const now = deps.clock.now();
  const problems: ImportProblem[] = [...data.problems];
  const summary: ImportSummary = {
    dryRun: options.dryRun,
    malformed: data.problems.length,
    users: { read: data.users.length, imported: 0, unchanged: 0, skipped: 0 },
    tokens: { read: data.tokens.length, imported: 0, expired: 0, resetScoped: 0, skipped: 0 },
    problems,
  };
  const tokensOf = new Map<number, NewToken[]>();
  for (const token of data.tokens) {
    if (token.scopes?.includes(RESET_SCOPE)) {
      summary.tokens.resetScoped += 1;
      continue;
    }
    if (!looksLikeToken(token.id)) {
      summary.tokens.skipped += 1;
      problems.push({
        where: `token of user ${token.userId}`,
        reason: 'not a 64-character token this app can accept',
      });
      continue;
    }
    const record = tokenOf(token, now, deps.settings.maxAccessTokenTtl);
    if (record === 'expired') summary.tokens.expired += 1;
    else tokensOf.set(token.userId, [...(tokensOf.get(token.userId) ?? []), record]);
  }

  const rows: ImportedUser[] = [];
  const emailOwners = new Map<string, number>();
  const usernameOwners = new Map<string, number>();
  // Lowest id first: of two addresses differing in case, the older account keeps it.
  for (const user of [...data.users].sort((a, b) => a.id - b.id)) {
    const where = `user ${user.id}`;
    const email = canonicalEmail(user.email);
    if (typeof email === 'string') {
      problems.push({ where, reason: `email is not an address this app accepts (${email})` });
      continue;
    }
    const username = user.username === null ? null : canonicalUsername(user.username);
    if (typeof username === 'string') {
      problems.push({ where, reason: `username is not one this app accepts (${username})` });
      continue;
    }
    const sameEmail = emailOwners.get(email.key);
    if (sameEmail !== undefined) {
      problems.push({ where, reason: `email is user ${sameEmail}'s address in other case (skipped)` });
      continue;
    }
    const sameName = username ? usernameOwners.get(username.key) : undefined;
    if (sameName !== undefined) {
      problems.push({ where, reason: `username is user ${sameName}'s in other case (skipped)` });
      continue;
    }
    emailOwners.set(email.key, user.id);
    if (username) usernameOwners.set(username.key, user.id);
    rows.push({
      id: user.id,
      email: email.address,
      emailKey: email.key,
      username: username?.name ?? null,
      usernameKey: username?.key ?? null,
      passwordHash: user.passwordHash,
      emailVerified: user.emailVerified,
      created: now.toISOString(),
      tokens: tokensOf.get(user.id) ?? [],
    });
  }

  const outcomes = options.dryRun
    ? await predictOutcomes(deps, rows)
    : await deps.store.importUsers(rows, data.nextId ? { nextId: data.nextId } : {});
  const rowById = new Map(rows.map((row) => [row.id, row]));
  for (const outcome of outcomes) {
    if (outcome.outcome === 'conflict') {
      const what =
        outcome.field === 'id'
          ? 'its id belongs to another account here'
          : `its ${outcome.field} belongs to another account here`;
      problems.push({ where: `user ${outcome.id}`, reason: `${what} (skipped)` });
      continue;
    }
    summary.users[outcome.outcome] += 1;
    summary.tokens.imported += rowById.get(outcome.id)?.tokens.length ?? 0;
  }
  summary.users.skipped = summary.users.read - summary.users.imported - summary.users.unchanged;
  return summary;
}

/** A dry run's outcomes, read and never written: what importUsers would answer now. */
async function predictOutcomes(deps: AuthDeps, rows: readonly ImportedUser[]): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const row of rows) {
    const byId = await deps.store.findUserById(row.id);
    const byEmail = await deps.store.findUserByEmailKey(row.emailKey);
    const byName = row.usernameKey ? await deps.store.findUserByUsernameKey(row.usernameKey) : null;
    if (byId && byId.emailKey === row.emailKey) outcomes.push({ id: row.id, outcome: 'unchanged' });
    else if (byId) outcomes.push({ id: row.id, outcome: 'conflict', field: 'id' });
    else if (byEmail) outcomes.push({ id: row.id, outcome: 'conflict', field: 'email' });
    else if (byName) outcomes.push({ id: row.id, outcome: 'conflict', field: 'username' });
    else outcomes.push({ id: row.id, outcome: 'imported' });
  }
  return outcomes;
}

/**
 * One exported account. The hash goes under LoopBack 3's name, `password`, so an export taken
 * with hashes is itself a file `import lb3` reads (a move between stores keeps logins working).
 */
/** What an account looks like to the operator (the CLI's tables, export): never its hash. */
export type AccountView = {
  id: number;
  email: string;
  username: string | null;
  emailVerified: boolean;
  disabled: boolean;
  pendingEmail: string | null;
  created: string;
  passwordChanged: string;
};

/** An account as `export` writes it: the operator's view, and its hash when asked. */
export type ExportedUser = AccountView & { password?: string };

/** The operator's view of an account. */
export function viewAccount(user: UserRecord): AccountView {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    emailVerified: user.emailVerified,
    disabled: isDisabled(user),
    pendingEmail: user.pendingEmail,
    created: user.created,
    passwordChanged: user.passwordChanged,
  };
}

/** Every account, by id; hashes only when asked (a backup that can restore logins). */
export async function exportUsers(
  deps: AuthDeps,
  options: { withPasswordHashes: boolean },
): Promise<ExportedUser[]> {
  const users = await listAccounts(deps);
  return users.map((user: UserRecord) => ({
    ...viewAccount(user),
    // An account without a password (a provider's sign-in only) has no hash to export.
    ...(options.withPasswordHashes && user.passwordHash ? { password: user.passwordHash } : {}),
  }));
}
