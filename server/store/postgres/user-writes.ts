import type pg from 'pg';
import {
  type CreationEffects,
  type NewToken,
  type NewUser,
  type ProfileChange,
  type Store,
  StoreConflictError,
  type TokenRecord,
  type UserId,
  type UserRecord,
  type WriteEffects,
} from '../store.js';
import {
  applyFollowingEffects,
  checkGuard,
  conflictOf,
  insertMail,
  insertTokens,
  lockUser,
  revokeSelected,
  spendOwnToken,
} from './effects.js';
import { inTransaction, queryOnce } from './pool.js';
import { TOKEN_COLUMNS, type TokenRow, toToken, toUser, USER_COLUMNS, type UserRow } from './rows.js';

type UserWrites = Pick<
  Store,
  | 'createUser'
  | 'setPassword'
  | 'markEmailVerified'
  | 'setProfile'
  | 'confirmPendingEmail'
  | 'issueToken'
  | 'spendToken'
  | 'revokeTokens'
  | 'deleteUser'
>;

/**
 * The writes that name their change. Each is one transaction that locks the user's row first, so
 * its guard, its change and its effects land together or not at all, whichever instance runs it.
 */
export function createUserWrites(pool: pg.Pool, url: string): UserWrites {
  const transaction = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, url, work).catch((error: unknown) => {
      throw conflictOf(error) ?? error;
    });

  /** Lock, guard, spend, change the row, then revoke / issue / mail: WriteEffects' order. */
  const changeUser = (
    userId: UserId,
    effects: WriteEffects | undefined,
    change: (row: UserRow) => { set: string; values: unknown[] },
  ): Promise<UserRecord> =>
    transaction(async (client) => {
      const row = await lockUser(client, userId);
      if (!row) throw new StoreConflictError('user');
      checkGuard(row, effects?.guard);
      if (effects?.spend) await spendOwnToken(client, userId, effects.spend);
      const { set, values } = change(row);
      const updated = await client.query<UserRow>(
        `UPDATE users SET ${set}, version = version + 1 WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [userId, ...values],
      );
      await applyFollowingEffects(client, userId, effects);
      return toUser(updated.rows[0]!);
    });

  return {
    createUser: (user: NewUser, effects?: (id: UserId) => CreationEffects) =>
      transaction(async (client) => {
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
        return created;
      }),

    setPassword: (userId, change, effects) =>
      changeUser(userId, effects, () => ({
        set: 'password_hash = $2, password_changed = $3, email_verified = email_verified OR $4',
        values: [change.passwordHash, change.at.toISOString(), change.emailVerified === true],
      })),

    markEmailVerified: (userId, effects) =>
      changeUser(userId, effects, () => ({ set: 'email_verified = true', values: [] })),

    setProfile: (userId, change: ProfileChange, effects) =>
      changeUser(userId, effects, (row) => {
        const username = change.username === undefined ? row.username : (change.username?.username ?? null);
        const usernameKey =
          change.username === undefined ? row.username_key : (change.username?.usernameKey ?? null);
        const pending =
          change.pendingEmail === undefined ? row.pending_email : (change.pendingEmail?.email ?? null);
        const pendingKey =
          change.pendingEmail === undefined ? row.pending_email_key : (change.pendingEmail?.emailKey ?? null);
        return {
          set: 'username = $2, username_key = $3, pending_email = $4, pending_email_key = $5',
          values: [username, usernameKey, pending, pendingKey],
        };
      }),

    confirmPendingEmail: (userId, effects) =>
      changeUser(userId, effects, (row) => {
        if (row.pending_email === null) throw new StoreConflictError('user');
        return {
          set: `email = pending_email, email_key = pending_email_key, email_verified = true,
                pending_email = NULL, pending_email_key = NULL`,
          values: [],
        };
      }),

    issueToken: (userId, token: NewToken, effects) =>
      transaction(async (client): Promise<TokenRecord> => {
        const row = await lockUser(client, userId);
        if (!row) throw new StoreConflictError('user');
        checkGuard(row, effects?.guard);
        if (effects?.spend) await spendOwnToken(client, userId, effects.spend);
        await applyFollowingEffects(client, userId, {
          ...effects,
          issue: [...(effects?.issue ?? []), token],
        });
        if (effects?.keepAtMost !== undefined) {
          // The oldest go first: seq orders tokens by issue even within one millisecond.
          await client.query(
            `DELETE FROM tokens WHERE hash IN (
               SELECT hash FROM tokens WHERE user_id = $1 AND kind = $2 ORDER BY seq DESC OFFSET $3)`,
            [userId, token.kind, effects.keepAtMost],
          );
        }
        return Object.freeze({ ...token, userId });
      }),

    async spendToken(hash) {
      // One DELETE … RETURNING: the row lock decides, so of concurrent callers exactly one gets a row.
      const result = await queryOnce<TokenRow>(
        pool,
        url,
        `DELETE FROM tokens WHERE hash = $1 RETURNING ${TOKEN_COLUMNS}`,
        [hash],
      );
      return result.rows[0] ? toToken(result.rows[0]) : null;
    },

    revokeTokens: (userId, selection = {}) =>
      transaction((client) => revokeSelected(client, userId, selection)),

    deleteUser: (userId, effects) =>
      transaction(async (client) => {
        const row = await lockUser(client, userId, 'UPDATE');
        if (!row) return false;
        checkGuard(row, effects?.guard);
        // ON DELETE CASCADE takes the user's tokens and queued mail in the same statement.
        await client.query('DELETE FROM users WHERE id = $1', [userId]);
        return true;
      }),
  };
}
