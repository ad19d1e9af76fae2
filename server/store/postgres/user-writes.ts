import type pg from 'pg';
import {
  type NewToken,
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
  insertMail,
  lockUser,
  revokeSelected,
  spendOwnToken,
} from './effects.js';
import { queryOnce } from './pool.js';
import { TOKEN_COLUMNS, type TokenRow, toToken, type UserRow } from './rows.js';
import { insertNewUser, lockGuarded, storeTransaction, type UserChange, writeLocked } from './user-change.js';

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
  const transaction = storeTransaction(pool, url);

  /** Lock, guard, spend, change the row, then revoke / issue / mail / activity: WriteEffects' order. */
  const changeUser = (
    userId: UserId,
    effects: WriteEffects | undefined,
    change: (row: UserRow) => UserChange,
  ): Promise<UserRecord> =>
    transaction(async (client) => {
      const row = await lockGuarded(client, userId, effects?.guard);
      return writeLocked(client, userId, effects, change(row));
    });

  return {
    createUser: (user, effects) => transaction((client) => insertNewUser(client, user, effects)),

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
        await lockGuarded(client, userId, effects?.guard);
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
        // With user_id NULL the cascade never reaches the notice; it commits with the delete.
        if (effects?.mail) await insertMail(client, null, effects.mail);
        return true;
      }),
  };
}
