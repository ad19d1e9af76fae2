import type pg from 'pg';
import {
  type CreationEffects,
  type NewUser,
  StoreConflictError,
  type UserGuard,
  type UserId,
  type UserRecord,
  type WriteEffects,
} from '../store.js';
import {
  appendEntries,
  applyFollowingEffects,
  checkGuard,
  conflictOf,
  insertMail,
  insertTokens,
  lockUser,
  spendOwnToken,
} from './effects.js';
import { inTransaction } from './pool.js';
import { toUser, USER_COLUMNS, type UserRow } from './rows.js';

/** One transaction whose broken unique index (a race lost to another instance) is the store's conflict. */
export type Transaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

export function storeTransaction(pool: pg.Pool, url: string): Transaction {
  return (work) =>
    inTransaction(pool, url, work).catch((error: unknown) => {
      throw conflictOf(error) ?? error;
    });
}

/**
 * Locks the user's row for the rest of the transaction and checks the guard against it: every
 * write to one account then lands one after another on every instance. Gone: conflict 'user'.
 */
export async function lockGuarded(
  client: pg.PoolClient,
  userId: UserId,
  guard?: UserGuard,
): Promise<UserRow> {
  const row = await lockUser(client, userId);
  if (!row) throw new StoreConflictError('user');
  checkGuard(row, guard);
  return row;
}

/** A change to the user's own columns: `set` numbers its values from $2 ($1 is the id). */
export type UserChange = { set: string; values: unknown[] };

/** No column changes, only the version: a write whose change is in another table (a passkey). */
export const VERSION_ONLY: UserChange = { set: '', values: [] };

/**
 * On a row locked by lockGuarded: spends, changes the row (bumping `version`), then revokes,
 * issues, queues mail and appends activity: WriteEffects' order, all in the caller's transaction.
 */
export async function writeLocked(
  client: pg.PoolClient,
  userId: UserId,
  effects: WriteEffects | undefined,
  change: UserChange,
): Promise<UserRecord> {
  if (effects?.spend) await spendOwnToken(client, userId, effects.spend);
  const updated = await client.query<UserRow>(
    `UPDATE users SET ${change.set ? `${change.set}, ` : ''}version = version + 1 WHERE id = $1
     RETURNING ${USER_COLUMNS}`,
    [userId, ...change.values],
  );
  await applyFollowingEffects(client, userId, effects);
  return toUser(updated.rows[0]!);
}

/**
 * Inserts a new account with the next id, then its first tokens, mail and activity (which see
 * that id). Shared by createUser and createUserWithIdentity, so both check and write the same.
 */
export async function insertNewUser(
  client: pg.PoolClient,
  user: NewUser,
  effects: ((id: UserId) => CreationEffects) | undefined,
): Promise<UserRecord> {
  // Checked first so an ordinary "taken" answer does not burn an id from the sequence;
  // the unique indexes still decide a true race (conflictOf maps their violation).
  const taken = await client.query<{ email_key: string }>(
    'SELECT email_key FROM users WHERE email_key = $1 OR username_key = $2 LIMIT 1',
    [user.emailKey, user.usernameKey],
  );
  if (taken.rows[0]) {
    throw new StoreConflictError(taken.rows[0].email_key === user.emailKey ? 'email' : 'username');
  }
  const inserted = await client.query<UserRow>(
    `INSERT INTO users (email, email_key, username, username_key, password_hash, email_verified, created, password_changed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ${USER_COLUMNS}`,
    [
      user.email,
      user.emailKey,
      user.username,
      user.usernameKey,
      user.passwordHash,
      user.emailVerified,
      user.created,
    ],
  );
  const created = toUser(inserted.rows[0]!);
  const extra = effects?.(created.id);
  if (extra?.issue) await insertTokens(client, created.id, extra.issue);
  if (extra?.mail) await insertMail(client, created.id, extra.mail);
  if (extra?.activity)
    await appendEntries(client, created.id, extra.activity.entries, extra.activity.keepAtMost);
  return created;
}

/** What each group of store methods is built on: the pool, its URL (for messages) and transactions. */
export type Database = Readonly<{ pool: pg.Pool; url: string; transaction: Transaction }>;
