import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  type FeatureStore,
  type Store,
  StoreConflictError,
  type TokenRecord,
  tokenExpiresAt,
} from '../store.js';
import type { StoreChange } from './changes.js';
import { createFeatureOperations } from './feature-operations.js';
import type { StoreIndexes } from './indexes.js';
import { createMailOperations } from './mail-operations.js';
import { planNewUser, planUserWrite, selectTokens } from './user-writes.js';

/** Tokens examined between two yields of the sweep: ~1 ms of work each. */
const SWEEP_SLICE = 5000;
/** Expired tokens deleted per write, so one sweep of 100k tokens is not one 9 MB journal line. */
const SWEEP_BATCH = 1000;

/**
 * How the operations reach the disk. `admit` throws when no write may start (closed, broken);
 * `persist` resolves once changes already applied in memory are durable.
 */
export type Persistence = {
  admit(): void;
  persist(changes: readonly StoreChange[]): Promise<void>;
};

/** Every Store method except `close`, and the Stage B ones, over the indexes and a persistence. */
export type StoreOperations = Omit<Store, 'close'> & FeatureStore;

/**
 * The Store's reads and writes over in-memory indexes. Each write checks and applies in one
 * synchronous step — no await between the check and the change — and then waits for `persist`,
 * so the guarantees hold for concurrent callers without locks.
 */
export function createStoreOperations(indexes: StoreIndexes, persistence: Persistence): StoreOperations {
  const commit = (changes: readonly StoreChange[]): Promise<void> => {
    for (const change of changes) indexes.apply(change);
    return persistence.persist(changes);
  };
  const user = (id: number) => indexes.users.get(id) ?? null;

  const ops: StoreOperations = {
    async findUserById(id) {
      return user(id);
    },
    async findUserByEmailKey(emailKey) {
      const id = indexes.userIdByEmailKey.get(emailKey);
      return id === undefined ? null : user(id);
    },
    async findUserByUsernameKey(usernameKey) {
      const id = indexes.userIdByUsernameKey.get(usernameKey);
      return id === undefined ? null : user(id);
    },
    async findTokenWithUser(hash) {
      const token = indexes.tokens.get(hash);
      const owner = token ? indexes.users.get(token.userId) : undefined;
      return token && owner ? { token, user: owner } : null;
    },
    async listUserTokens(userId) {
      return indexes.tokensOf(userId);
    },

    async createUser(input, effects) {
      persistence.admit();
      const { user, changes } = planNewUser(indexes, input, effects);
      await commit(changes);
      return user;
    },
    async setPassword(userId, change, effects = {}) {
      persistence.admit();
      const plan = planUserWrite(indexes, userId, effects, (current) => ({
        ...current,
        passwordHash: change.passwordHash,
        passwordChanged: change.at.toISOString(),
        emailVerified: change.emailVerified === true || current.emailVerified,
      }));
      await commit(plan.changes);
      return plan.user;
    },
    async markEmailVerified(userId, effects = {}) {
      persistence.admit();
      const plan = planUserWrite(indexes, userId, effects, (current) => ({
        ...current,
        emailVerified: true,
      }));
      await commit(plan.changes);
      return plan.user;
    },
    async setProfile(userId, change, effects = {}) {
      persistence.admit();
      const plan = planUserWrite(indexes, userId, effects, (current) => ({
        ...current,
        ...(change.username === undefined
          ? {}
          : {
              username: change.username?.username ?? null,
              usernameKey: change.username?.usernameKey ?? null,
            }),
        ...(change.pendingEmail === undefined
          ? {}
          : {
              pendingEmail: change.pendingEmail?.email ?? null,
              pendingEmailKey: change.pendingEmail?.emailKey ?? null,
            }),
      }));
      await commit(plan.changes);
      return plan.user;
    },
    async confirmPendingEmail(userId, effects = {}) {
      persistence.admit();
      const plan = planUserWrite(indexes, userId, effects, (current) => {
        if (current.pendingEmail === null || current.pendingEmailKey === null)
          throw new StoreConflictError('user');
        return {
          ...current,
          email: current.pendingEmail,
          emailKey: current.pendingEmailKey,
          emailVerified: true,
          pendingEmail: null,
          pendingEmailKey: null,
        };
      });
      await commit(plan.changes);
      return plan.user;
    },
    async issueToken(userId, token, effects = {}) {
      persistence.admit();
      const plan = planUserWrite(
        indexes,
        userId,
        { ...effects, issue: [token, ...(effects.issue ?? [])] },
        null,
      );
      await commit(plan.changes);
      return plan.issued[0] as TokenRecord;
    },
    async spendToken(hash) {
      persistence.admit();
      const token = indexes.tokens.get(hash);
      if (!token) return null;
      await commit([{ type: 'deleteToken', hash }]);
      return token;
    },
    async revokeTokens(userId, selection = {}) {
      persistence.admit();
      const hashes = selectTokens(indexes, userId, selection);
      if (hashes.length > 0) await commit(hashes.map((hash) => ({ type: 'deleteToken', hash })));
      return hashes.length;
    },
    async deleteUser(userId, effects = {}) {
      persistence.admit();
      if (!indexes.users.has(userId)) return false;
      planUserWrite(indexes, userId, { guard: effects.guard ?? {} }, null);
      await commit([{ type: 'deleteUser', userId }]);
      return true;
    },
    ...createMailOperations(indexes, persistence, commit),
    ...createFeatureOperations(indexes, persistence, commit),

    async sweepExpiredTokens(now) {
      // In slices: at 100k tokens one pass is ~15 ms of Date.parse, enough to delay every request.
      const cutoff = now.getTime();
      const expired: string[] = [];
      let examined = 0;
      for (const token of indexes.tokens.values()) {
        if (tokenExpiresAt(token) < cutoff) expired.push(token.hash);
        if (++examined % SWEEP_SLICE === 0) await yieldToLoop();
      }
      let deleted = 0;
      for (let start = 0; start < expired.length; start += SWEEP_BATCH) {
        persistence.admit();
        const changes: StoreChange[] = [];
        for (const hash of expired.slice(start, start + SWEEP_BATCH)) {
          const token = indexes.tokens.get(hash);
          if (token && tokenExpiresAt(token) < cutoff) changes.push({ type: 'deleteToken', hash });
        }
        if (changes.length === 0) continue;
        await commit(changes);
        deleted += changes.length;
      }
      return deleted;
    },
  };
  return ops;
}
