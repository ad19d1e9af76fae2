import type pg from 'pg';
import type { FeatureStore, ImportedUser, ImportOutcome } from '../store.js';
import { insertTokens } from './effects.js';
import { queryOnce } from './pool.js';
import { toUser, USER_COLUMNS, type UserRow } from './rows.js';
import { type Database, lockGuarded, writeLocked } from './user-change.js';

type Admin = Pick<FeatureStore, 'setDisabled' | 'listUsers' | 'importUsers'>;

/** Adds the row's tokens that are not here yet (a token already here, by hash or public id, stays). */
function addTokens(client: pg.PoolClient, row: ImportedUser): Promise<void> {
  return insertTokens(client, row.id, row.tokens, { keepExisting: true });
}

/** One row: imported, unchanged (already here: only its new tokens added) or a conflict. */
async function importRow(client: pg.PoolClient, row: ImportedUser): Promise<ImportOutcome> {
  if (!Number.isSafeInteger(row.id) || row.id < 1) return { id: row.id, outcome: 'conflict', field: 'id' };
  const held = await client.query<{ id: string; email_key: string; username_key: string | null }>(
    'SELECT id, email_key, username_key FROM users WHERE id = $1 OR email_key = $2 OR username_key = $3',
    [row.id, row.emailKey, row.usernameKey],
  );
  const same = held.rows.find((user) => Number(user.id) === row.id);
  if (same) {
    if (same.email_key !== row.emailKey) return { id: row.id, outcome: 'conflict', field: 'id' };
    await addTokens(client, row);
    return { id: row.id, outcome: 'unchanged' };
  }
  if (held.rows.some((user) => user.email_key === row.emailKey))
    return { id: row.id, outcome: 'conflict', field: 'email' };
  if (row.usernameKey !== null && held.rows.some((user) => user.username_key === row.usernameKey))
    return { id: row.id, outcome: 'conflict', field: 'username' };
  await client.query(
    `INSERT INTO users (id, email, email_key, username, username_key, password_hash, email_verified, created, password_changed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
    [
      row.id,
      row.email,
      row.emailKey,
      row.username,
      row.usernameKey,
      row.passwordHash,
      row.emailVerified,
      row.created,
    ],
  );
  await addTokens(client, row);
  return { id: row.id, outcome: 'imported' };
}

/**
 * Issue 18's operator writes and reads. The import runs in one transaction that first locks the
 * users table against other writers (not readers): a sign-up on another instance cannot take an
 * id the import is placing, and the id sequence moves past the imported ids before anyone else
 * creates a user. An import is a rare operator step; signing up waits for it, never fails.
 */
export function createAdmin({ pool, url, transaction }: Database): Admin {
  return {
    setDisabled: (userId, disabled, effects) =>
      transaction(async (client) => {
        await lockGuarded(client, userId, effects?.guard);
        return writeLocked(client, userId, effects, { set: 'disabled = $2', values: [disabled] });
      }),

    async listUsers({ search, unverified, after, limit }) {
      const result = await queryOnce<UserRow>(
        pool,
        url,
        `SELECT ${USER_COLUMNS} FROM users
         WHERE ($1::bigint IS NULL OR id > $1)
           AND (NOT $2::boolean OR NOT email_verified)
           AND ($3::text IS NULL OR strpos(lower(email_key), $3) > 0
                OR strpos(lower(coalesce(username_key, '')), $3) > 0)
         ORDER BY id LIMIT $4`,
        [
          after ?? null,
          unverified === true,
          search === undefined ? null : search.toLowerCase(),
          Math.max(0, limit),
        ],
      );
      return result.rows.map(toUser);
    },

    importUsers: (rows, options = {}) =>
      transaction(async (client) => {
        await client.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
        const outcomes: ImportOutcome[] = [];
        for (const row of rows) outcomes.push(await importRow(client, row));
        const highest = rows.reduce(
          (max, row) => (Number.isSafeInteger(row.id) && row.id > 0 ? Math.max(max, row.id) : max),
          0,
        );
        // The sequence's last id handed out, or 0 when none was: it only ever moves forward, so
        // a deleted user's id is never given to someone else.
        await client.query(
          `SELECT setval(pg_get_serial_sequence('users', 'id'), target)
           FROM (SELECT GREATEST($1::bigint, (SELECT coalesce(max(id), 0) FROM users)) AS target) wanted
           WHERE target > coalesce(pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass), 0)`,
          [Math.max(highest, (options.nextId ?? 1) - 1)],
        );
        return outcomes;
      }),
  };
}
