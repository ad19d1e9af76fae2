import type pg from 'pg';
import { type FeatureStore, type Store, StoreCorruptError, StoreUnavailableError } from '../store.js';
import { createActivity } from './activity.js';
import { createAdmin } from './admin.js';
import { createIdentities } from './identities.js';
import { createMailQueue } from './mail-queue.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { createPasskeys } from './passkeys.js';
import { createPool, describeUrl, isUnavailable, type PoolOptions, queryOnce } from './pool.js';
import {
  JOINED_USER_COLUMNS,
  joinedUser,
  TOKEN_COLUMNS,
  type TokenRow,
  toToken,
  toUser,
  USER_COLUMNS,
  type UserRow,
} from './rows.js';
import { sweepUnderLock } from './sweep.js';
import { createTwoFactor } from './two-factor.js';
import { storeTransaction } from './user-change.js';
import { createUserWrites } from './user-writes.js';

/** The PostgreSQL store, with its pool for the shared rate limiter (one pool per instance). */
export type PostgresStore = Store & FeatureStore & { readonly pool: pg.Pool };

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

  // The reads every request makes are named (prepared once per connection): at ~1,300 `/me` a
  // second, parsing and planning the join again each time was most of the database's CPU.
  const one = async <R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]) =>
    (await queryOnce<R>(pool, url, text, values, name)).rows[0] ?? null;
  const userWhere = async (column: 'id' | 'email_key' | 'username_key', value: unknown) => {
    const row = await one<UserRow>(
      `user-by-${column}`,
      `SELECT ${USER_COLUMNS} FROM users WHERE ${column} = $1`,
      [value],
    );
    return row ? toUser(row) : null;
  };

  const database = { pool, url, transaction: storeTransaction(pool, url) };
  return {
    pool,
    findUserById: (id) => userWhere('id', id),
    findUserByEmailKey: (key) => userWhere('email_key', key),
    findUserByUsernameKey: (key) => userWhere('username_key', key),

    async findTokenWithUser(hash) {
      // One round trip for an authenticated request: the token and its user, joined.
      const row = await one<TokenRow & Record<string, unknown>>(
        'token-with-user',
        `SELECT t.hash, t.user_id, t.kind, t.created, t.ttl, t.expires_at, t.public_id, t.last_used,
                t.ip, t.user_agent, t.session, ${JOINED_USER_COLUMNS}
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`,
        [hash],
      );
      return row ? { token: toToken(row), user: joinedUser(row) } : null;
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
    ...createActivity(database),
    ...createIdentities(database),
    ...createTwoFactor(database),
    ...createPasskeys(database),
    ...createAdmin(database),

    sweepExpiredTokens: (now) =>
      sweepUnderLock(pool, url, SWEEP_LOCK_KEY, 'DELETE FROM tokens WHERE expires_at < $1', [
        now.toISOString(),
      ]),

    async close() {
      await pool.end();
    },
  };
}
