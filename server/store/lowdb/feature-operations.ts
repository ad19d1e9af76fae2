import {
  type FeatureStore,
  NO_TWO_FACTOR,
  StoreConflictError,
  type TwoFactorState,
  type UserRecord,
} from '../store.js';
import type { StoreChange } from './changes.js';
import { identityKey } from './feature-indexes.js';
import { importOperations } from './import-operations.js';
import type { StoreIndexes } from './indexes.js';
import type { Persistence } from './operations.js';
import { activityChanges, guardedUser, planNewUser, planUserWrite } from './user-writes.js';

/** Commits already planned changes: apply to the indexes, then wait until they are durable. */
export type Commit = (changes: readonly StoreChange[]) => Promise<void>;

/** A version bump and nothing else: for writes whose change is in another record (a passkey). */
const touchUser = (user: UserRecord): Omit<UserRecord, 'version'> => ({ ...user });
const twoFactorOf = (user: UserRecord): TwoFactorState => user.twoFactor ?? NO_TWO_FACTOR;

/**
 * The Stage B store methods (features.ts) over the indexes. As for the Stage A writes, each one
 * checks and applies in one synchronous step, so "exactly one caller wins" holds without locks.
 */
export function createFeatureOperations(
  indexes: StoreIndexes,
  persistence: Persistence,
  commit: Commit,
): FeatureStore {
  const features = indexes.features;
  /** Plans, commits and returns the new user record. */
  const write = async (
    userId: number,
    effects: Parameters<typeof planUserWrite>[2],
    update: Parameters<typeof planUserWrite>[3],
    extra: StoreChange[] = [],
  ): Promise<UserRecord> => {
    persistence.admit();
    const plan = planUserWrite(indexes, userId, effects, update);
    await commit([...plan.changes, ...extra]);
    return plan.user;
  };
  const setTwoFactor = (user: UserRecord, change: Partial<TwoFactorState>) => ({
    ...user,
    twoFactor: { ...twoFactorOf(user), ...change },
  });

  return {
    async touchToken(hash, at) {
      persistence.admit();
      const token = indexes.tokens.get(hash);
      if (!token) return false;
      await commit([{ type: 'putToken', token: { ...token, lastUsed: at.toISOString() } }]);
      return true;
    },
    async revokeTokenById(userId, id) {
      persistence.admit();
      const hash = features.tokenHashById.get(id);
      const token = hash === undefined ? undefined : indexes.tokens.get(hash);
      if (!token || token.userId !== userId) return false;
      await commit([{ type: 'deleteToken', hash: token.hash }]);
      return true;
    },
    async appendActivity(userId, entries, { keepAtMost }) {
      persistence.admit();
      guardedUser(indexes, userId, {});
      const { changes, appended } = activityChanges(indexes, userId, entries, keepAtMost);
      await commit(changes);
      return appended;
    },
    async listActivity(userId, { before, limit }) {
      const ids = features.activityIdsOf(userId).reverse();
      const start = before === undefined ? 0 : ids.findIndex((id) => id < before);
      if (start < 0) return [];
      return ids.slice(start, start + Math.max(0, limit)).flatMap((id) => features.activity.get(id) ?? []);
    },
    async sweepActivity(olderThan) {
      persistence.admit();
      const cutoff = olderThan.getTime();
      const changes: StoreChange[] = [];
      for (const entry of features.activity.values())
        if (Date.parse(entry.at) < cutoff) changes.push({ type: 'deleteActivity', id: entry.id });
      if (changes.length > 0) await commit(changes);
      return changes.length;
    },

    async findUserByIdentity(issuer, subject) {
      const identity = features.identities.get(identityKey(issuer, subject));
      const user = identity ? indexes.users.get(identity.userId) : undefined;
      return identity && user ? { identity, user } : null;
    },
    async listIdentities(userId) {
      return features.identitiesOf(userId);
    },
    async linkIdentity(userId, input, effects = {}) {
      if (features.identities.has(identityKey(input.issuer, input.subject)))
        throw new StoreConflictError('identity');
      const identity = { ...input, userId };
      await write(userId, effects, touchUser, [{ type: 'putIdentity', identity }]);
      return identity;
    },
    async unlinkIdentity(userId, issuer, subject, effects = {}) {
      const identity = features.identities.get(identityKey(issuer, subject));
      if (identity?.userId !== userId) return false;
      await write(userId, effects, touchUser, [{ type: 'deleteIdentity', issuer, subject }]);
      return true;
    },
    async createUserWithIdentity(input, identityInput, effects) {
      persistence.admit();
      if (features.identities.has(identityKey(identityInput.issuer, identityInput.subject)))
        throw new StoreConflictError('identity');
      const { user, changes } = planNewUser(indexes, input, effects);
      // The identity right after its user, as the journal replays them.
      changes.splice(1, 0, { type: 'putIdentity', identity: { ...identityInput, userId: user.id } });
      await commit(changes);
      return user;
    },

    async getTwoFactor(userId) {
      return twoFactorOf(guardedUser(indexes, userId, {}));
    },
    async setTotp(userId, totp, effects = {}) {
      return write(userId, effects, (user) =>
        setTwoFactor(user, {
          totpSecret: totp?.secret ?? null,
          totpLastStep: totp?.lastStep ?? null,
          totpEnabledAt: totp?.at.toISOString() ?? null,
        }),
      );
    },
    async acceptTotpStep(userId, step) {
      persistence.admit();
      const state = twoFactorOf(guardedUser(indexes, userId, {}));
      if (state.totpSecret === null || (state.totpLastStep !== null && step <= state.totpLastStep))
        return false;
      await write(userId, {}, (user) => setTwoFactor(user, { totpLastStep: step }));
      return true;
    },
    async setRecoveryCodes(userId, hashes, effects = {}) {
      return write(userId, effects, (user) => setTwoFactor(user, { recoveryCodeHashes: [...hashes] }));
    },
    async spendRecoveryCode(userId, hash, effects = {}) {
      persistence.admit();
      const codes = twoFactorOf(guardedUser(indexes, userId, effects.guard)).recoveryCodeHashes;
      if (!codes.includes(hash)) return null;
      const left = codes.filter((code) => code !== hash);
      await write(userId, effects, (user) => setTwoFactor(user, { recoveryCodeHashes: left }));
      return left.length;
    },
    async setUserHandle(userId, handle) {
      persistence.admit();
      const current = guardedUser(indexes, userId, {});
      const held = twoFactorOf(current).userHandle;
      if (held === handle) return current;
      if (held !== null) throw new StoreConflictError('user');
      return write(userId, {}, (user) => setTwoFactor(user, { userHandle: handle }));
    },
    async addPasskey(userId, input, effects = {}) {
      if (features.passkeys.has(input.credentialId)) throw new StoreConflictError('passkey');
      const passkey = { ...input, transports: [...input.transports], userId };
      await write(userId, effects, touchUser, [{ type: 'putPasskey', passkey }]);
      return passkey;
    },
    async listPasskeys(userId) {
      return features.passkeysOf(userId);
    },
    async findPasskeyWithUser(credentialId) {
      const passkey = features.passkeys.get(credentialId);
      const user = passkey ? indexes.users.get(passkey.userId) : undefined;
      return passkey && user ? { passkey, user } : null;
    },
    async usePasskey(credentialId, use) {
      persistence.admit();
      const passkey = features.passkeys.get(credentialId);
      if (!passkey) return false;
      const next = { ...passkey, counter: use.counter, lastUsed: use.at.toISOString() };
      await commit([{ type: 'putPasskey', passkey: next }]);
      return true;
    },
    async renamePasskey(userId, credentialId, name) {
      persistence.admit();
      const passkey = features.passkeys.get(credentialId);
      if (passkey?.userId !== userId) return false;
      await commit([{ type: 'putPasskey', passkey: { ...passkey, name } }]);
      return true;
    },
    async removePasskey(userId, credentialId, effects = {}) {
      if (features.passkeys.get(credentialId)?.userId !== userId) return false;
      await write(userId, effects, touchUser, [{ type: 'deletePasskey', credentialId }]);
      return true;
    },

    async setDisabled(userId, disabled, effects = {}) {
      return write(userId, effects, (user) => ({ ...user, disabled }));
    },
    ...importOperations(indexes, persistence),
  };
}
