import type pg from 'pg';
import { type Store, StoreCorruptError, StoreUnavailableError, type UserRecord } from '../store.js';
import { createMailQueue } from './mail-queue.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { createPool, describeUrl, isUnavailable, type PoolOptions, queryOnce, storeError } from './pool.js';
import { TOKEN_COLUMNS, type TokenRow, toToken, toUser, USER_COLUMNS, type UserRow } from './rows.js';
import { createUserWrites } from './user-writes.js';

/** The PostgreSQL store, with its pool for the shared rate limiter (one pool per instance). */
export type PostgresStore = Store & { readonly pool: pg.Pool };

/**
 * Only one instance sweeps at a time: the others find the lock taken and skip their turn, instead
 * of queueing on the same rows. The number is arbitrary but fixed.
 */
const SWEEP_LOCK_KEY = 7_425_310_002;

/** The reason a connection failed, short: pg gives an AggregateError with no message for localhost. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (typeof message === 'string' && message) || (typeof code === 'string' ? code : String(error));
}

/**
 * Opens the pool and brings the schema up to date (every instance does; the migration lock makes
 * them take turns). A database that cannot be reached at start is one StoreUnavailableError line.
 */
export async function createPostgresStore(url: string, options: PoolOptions = {}): Promise<PostgresStore> {
  const pool = createPool(url, options);
  try {
    await migrate(pool, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreCorruptError) throw error;
    if (isUnavailable(error)) {
      throw new StoreUnavailableError(
        `cannot reach the database at ${describeUrl(url)}: ${reasonOf(error)}`,
        {
          cause: error,
        },
      );
    }
    throw new StoreCorruptError(`cannot prepare the database at ${describeUrl(url)}: ${reasonOf(error)}`, {
      cause: error,
    });
  }

  const one = async <R extends pg.QueryResultRow>(text: string, values: unknown[]) =>
    (await queryOnce<R>(pool, url, text, values)).rows[0] ?? null;
  const userWhere = async (where: string, value: unknown): Promise<UserRecord | null> => {
    const row = await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE ${where}`, [value]);
    return row ? toUser(row) : null;
  };

  return {
    pool,
    findUserById: (id) => userWhere('id = $1', id),
    findUserByEmailKey: (key) => userWhere('email_key = $1', key),
    findUserByUsernameKey: (key) => userWhere('username_key = $1', key),

    async findTokenWithUser(hash) {
      // One round trip for an authenticated request: the token and its user, joined.
      const row = await one<TokenRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] }>(
        `SELECT t.hash, t.user_id, t.kind, t.created, t.ttl, t.expires_at,
                u.id AS u_id, u.email AS u_email, u.email_key AS u_email_key, u.username AS u_username,
                u.username_key AS u_username_key, u.password_hash AS u_password_hash,
                u.email_verified AS u_email_verified, u.pending_email AS u_pending_email,
                u.pending_email_key AS u_pending_email_key, u.created AS u_created,
                u.password_changed AS u_password_changed, u.version AS u_version
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`,
        [hash],
      );
      if (!row) return null;
      const user = Object.fromEntries(
        Object.entries(row)
          .filter(([key]) => key.startsWith('u_'))
          .map(([key, value]) => [key.slice(2), value]),
      ) as UserRow;
      return { token: toToken(row), user: toUser(user) };
    },

    async listUserTokens(userId) {
      const result = await queryOnce<TokenRow>(
        pool,
        url,
        `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE user_id = $1 ORDER BY created, seq`,
        [userId],
      );
      return result.rows.map(toToken);
    },

    ...createUserWrites(pool, url),
    ...createMailQueue(pool, url),

    async sweepExpiredTokens(now) {
      const client = await pool.connect().catch((error: unknown) => {
        throw storeError(error, url);
      });
      try {
        await client.query('BEGIN');
        const locked = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1) AS locked',
          [SWEEP_LOCK_KEY],
        );
        const swept = locked.rows[0]?.locked
          ? await client.query('DELETE FROM tokens WHERE expires_at < $1', [now.toISOString()])
          : { rowCount: 0 };
        await client.query('COMMIT');
        return swept.rowCount ?? 0;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw storeError(error, url);
      } finally {
        client.release();
      }
    },

    async close() {
      await pool.end();
    },
  };
}
