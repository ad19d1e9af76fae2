import type { Store, UserId, UserRecord, WriteEffects } from '../store/store.js';
import type { StoredPasskey } from './passkeys.js';

/**
 * The store records issue 17 needs, as requested from STORE-B (/work/team/STORE-B-REQUESTS.md).
 * The domain reaches them only through {@link factorStore}, so the day the Store interface carries
 * them this file shrinks to type re-exports and nothing else moves.
 */

/** A user's second factors. Absent on a user = all off. */
export type TwoFactorState = Readonly<{
  /** The TOTP secret, sealed by the domain (like emailed links); null = authenticator app off. */
  totpSecret: string | null;
  /** The last accepted TOTP time step: a code of that step or earlier is refused (no replay). */
  totpLastStep: number | null;
  totpEnabledAt: string | null;
  /** SHA-256 hex of each unspent recovery code. */
  recoveryCodeHashes: readonly string[];
  /** The WebAuthn user handle (random, base64url), made once with the first passkey. */
  userHandle: string | null;
}>;

/** A passkey as the store keeps it: the library's fields plus its name and dates. */
export type PasskeyRecord = StoredPasskey &
  Readonly<{ userId: UserId; name: string; created: string; lastUsed: string | null }>;

/** What the domain needs of the store for second factors (every write bumps the user's version). */
export interface TwoFactorStore {
  getTwoFactor(userId: UserId): Promise<TwoFactorState>;
  /** Turns the authenticator app on (`secret` sealed) or off (null). */
  setTotp(
    userId: UserId,
    totp: { secret: string; lastStep: number; at: Date } | null,
    effects?: WriteEffects,
  ): Promise<UserRecord>;
  /** True only when `step` is greater than the stored one (atomic: one of two racing codes wins). */
  acceptTotpStep(userId: UserId, step: number): Promise<boolean>;
  /** Replaces the recovery code set ([] clears it). */
  setRecoveryCodes(userId: UserId, hashes: readonly string[], effects?: WriteEffects): Promise<UserRecord>;
  /** Removes one code; the count left, or null when it was not in the set (exactly one caller wins). */
  spendRecoveryCode(userId: UserId, hash: string, effects?: WriteEffects): Promise<number | null>;
  setUserHandle(userId: UserId, handle: string): Promise<UserRecord>;
  /** Conflict 'passkey' when the credential id is registered already. */
  addPasskey(
    userId: UserId,
    passkey: Omit<PasskeyRecord, 'userId'>,
    effects?: WriteEffects,
  ): Promise<PasskeyRecord>;
  listPasskeys(userId: UserId): Promise<PasskeyRecord[]>;
  findPasskeyWithUser(credentialId: string): Promise<{ passkey: PasskeyRecord; user: UserRecord } | null>;
  usePasskey(credentialId: string, use: { counter: number; at: Date }): Promise<boolean>;
  removePasskey(userId: UserId, credentialId: string, effects?: WriteEffects): Promise<boolean>;
}

/** Whether this store keeps second factors (STORE-B's additions have landed in it). */
export function keepsSecondFactors(store: Store): store is Store & TwoFactorStore {
  const candidate = store as Store & Partial<Record<keyof TwoFactorStore, unknown>>;
  return typeof candidate.getTwoFactor === 'function' && typeof candidate.addPasskey === 'function';
}

/** The store's second-factor records; throws when the store has none (a programming error). */
export function factorStore(store: Store): Store & TwoFactorStore {
  if (!keepsSecondFactors(store))
    throw new Error('this store keeps no second factors (issue 17 store records)');
  return store;
}

/** Two-factor is on when the account has an authenticator app or a passkey. */
export function secondFactorOn(state: TwoFactorState, passkeys: readonly PasskeyRecord[]): boolean {
  return state.totpSecret !== null || passkeys.length > 0;
}
