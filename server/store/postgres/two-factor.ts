import { type FeatureStore, StoreConflictError } from '../store.js';
import { queryOnce } from './pool.js';
import { toUser, USER_COLUMNS, type UserRow } from './rows.js';
import { type Database, lockGuarded, writeLocked } from './user-change.js';

type TwoFactor = Pick<
  FeatureStore,
  'getTwoFactor' | 'setTotp' | 'acceptTotpStep' | 'setRecoveryCodes' | 'spendRecoveryCode' | 'setUserHandle'
>;

/**
 * Issue 17's second factors, kept on the user row: each write bumps the version with the rest of
 * the account, and each "exactly one wins" (a TOTP step, a recovery code) is decided under the
 * row's lock, so two instances checking the same code at the same moment cannot both accept it.
 */
export function createTwoFactor({ pool, url, transaction }: Database): TwoFactor {
  const userRow = async (userId: number): Promise<UserRow> => {
    const result = await queryOnce<UserRow>(pool, url, `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [
      userId,
    ]);
    if (!result.rows[0]) throw new StoreConflictError('user');
    return result.rows[0];
  };

  return {
    async getTwoFactor(userId) {
      return toUser(await userRow(userId)).twoFactor!;
    },

    setTotp: (userId, totp, effects) =>
      transaction(async (client) => {
        await lockGuarded(client, userId, effects?.guard);
        return writeLocked(client, userId, effects, {
          set: 'totp_secret = $2, totp_last_step = $3, totp_enabled_at = $4',
          values: [totp?.secret ?? null, totp?.lastStep ?? null, totp?.at.toISOString() ?? null],
        });
      }),

    async acceptTotpStep(userId, step) {
      // One guarded UPDATE: of two racers with the same step, the second finds it already stored.
      const result = await queryOnce(
        pool,
        url,
        `UPDATE users SET totp_last_step = $2, version = version + 1
         WHERE id = $1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)`,
        [userId, step],
      );
      if (result.rowCount === 1) return true;
      await userRow(userId); // a missing user is the 'user' conflict, as on lowdb
      return false;
    },

    setRecoveryCodes: (userId, hashes, effects) =>
      transaction(async (client) => {
        await lockGuarded(client, userId, effects?.guard);
        return writeLocked(client, userId, effects, {
          set: 'recovery_code_hashes = $2',
          values: [[...hashes]],
        });
      }),

    spendRecoveryCode: (userId, hash, effects) =>
      transaction(async (client) => {
        const row = await lockGuarded(client, userId, effects?.guard);
        if (!row.recovery_code_hashes.includes(hash)) return null;
        const user = await writeLocked(client, userId, effects, {
          set: 'recovery_code_hashes = array_remove(recovery_code_hashes, $2)',
          values: [hash],
        });
        return user.twoFactor!.recoveryCodeHashes.length;
      }),

    setUserHandle: (userId, handle) =>
      transaction(async (client) => {
        const row = await lockGuarded(client, userId);
        if (row.user_handle === handle) return toUser(row);
        if (row.user_handle !== null) throw new StoreConflictError('user');
        return writeLocked(client, userId, undefined, { set: 'user_handle = $2', values: [handle] });
      }),
  };
}
