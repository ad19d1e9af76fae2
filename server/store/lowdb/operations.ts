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
import { planNewUser, planUserWrite, queuedMail, selectTokens } from './user-writes.js';

/** Tokens examined between two yields of the sweep: ~1 ms of work each. */
const SWEEP_SLICE = 5000;
/** Expired tokens deleted per write, so one sweep of 100k tokens is not one 9 MB journal line. */
const SWEEP_BATCH = 1000;

/** The form `toISOString` writes, and `expiryOf` stores: for it, text order is time order. */
const CANONICAL_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Whether a token expired before `cutoff`, comparing the stored text with the cutoff's when both
 * are in the canonical form, which is ~5× cheaper than Date.parse at 100k tokens (issue 15: a
 * sweep parsed every expiry every minute); any other form a file may hold is parsed.
 */
function expiredBefore(token: TokenRecord, cutoff: { ms: number; iso: string }): boolean {
  return CANONICAL_INSTANT.test(token.expiresAt)
    ? token.expiresAt < cutoff.iso
    : tokenExpiresAt(token) < cutoff.ms;
}

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
      // The notice comes after the delete and belongs to no user, so the cascade cannot take it.
      const notices = (effects.mail ?? []).map(
        (mail, index): StoreChange => ({ type: 'putMail', mail: queuedMail(indexes, mail, index, null) }),
      );
      await commit([{ type: 'deleteUser', userId }, ...notices]);
      return true;
    },
    ...createMailOperations(indexes, persistence, commit),
    ...createFeatureOperations(indexes, persistence, commit),

    async sweepExpiredTokens(now) {
      // In slices, so a pass over 100k tokens never holds the event loop for long.
      const cutoff = { ms: now.getTime(), iso: now.toISOString() };
      const expired: string[] = [];
      let examined = 0;
      for (const token of indexes.tokens.values()) {
        if (expiredBefore(token, cutoff)) expired.push(token.hash);
        if (++examined % SWEEP_SLICE === 0) await yieldToLoop();
      }
      let deleted = 0;
      for (let start = 0; start < expired.length; start += SWEEP_BATCH) {
        persistence.admit();
        const changes: StoreChange[] = [];
        for (const hash of expired.slice(start, start + SWEEP_BATCH)) {
          const token = indexes.tokens.get(hash);
          if (token && expiredBefore(token, cutoff)) changes.push({ type: 'deleteToken', hash });
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
