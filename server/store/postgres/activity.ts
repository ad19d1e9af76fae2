import type { FeatureStore } from '../store.js';
import { appendEntries } from './effects.js';
import { queryOnce } from './pool.js';
import { type ActivityRow, toActivity } from './rows.js';
import { sweepUnderLock } from './sweep.js';
import { type Database, lockGuarded } from './user-change.js';

type SessionsAndActivity = Pick<
  FeatureStore,
  'touchToken' | 'revokeTokenById' | 'appendActivity' | 'listActivity' | 'sweepActivity'
>;

/** One instance at a time sweeps old activity (see sweep.ts). Arbitrary but fixed, like the others. */
const ACTIVITY_SWEEP_LOCK_KEY = 7_425_310_003;

/**
 * Issue 14's records: a token's last use and its revocation by public id, and the security
 * activity. Appending locks the user's row, so the per-account cap holds however many instances
 * append for one account at once, and an entry never outlives its (deleted) user.
 */
export function createActivity({ pool, url, transaction }: Database): SessionsAndActivity {
  return {
    async touchToken(hash, at) {
      // A cheap write with no version bump: a request's bookkeeping must never conflict with a
      // profile change landing at the same moment.
      const result = await queryOnce(
        pool,
        url,
        'UPDATE tokens SET last_used = $2 WHERE hash = $1',
        [hash, at.toISOString()],
        'touch-token',
      );
      return result.rowCount === 1;
    },

    async revokeTokenById(userId, id) {
      const result = await queryOnce(pool, url, 'DELETE FROM tokens WHERE public_id = $1 AND user_id = $2', [
        id,
        userId,
      ]);
      return result.rowCount === 1;
    },

    appendActivity: (userId, entries, { keepAtMost }) =>
      transaction(async (client) => {
        await lockGuarded(client, userId);
        return appendEntries(client, userId, entries, keepAtMost);
      }),

    async listActivity(userId, { before, limit }) {
      const result = await queryOnce<ActivityRow>(
        pool,
        url,
        `SELECT * FROM activity WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3`,
        [userId, before ?? null, Math.max(0, limit)],
      );
      return result.rows.map(toActivity);
    },

    sweepActivity: (olderThan) =>
      sweepUnderLock(pool, url, ACTIVITY_SWEEP_LOCK_KEY, 'DELETE FROM activity WHERE at < $1', [
        olderThan.toISOString(),
      ]),
  };
}
