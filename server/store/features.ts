import type { NewToken, NewUser, UserId, UserRecord, WriteEffects } from './store.js';

/**
 * The Stage B records (issues 14, 16, 17, 18) and the writes that keep them: part of the Store
 * interface (which extends FeatureStore), kept in their own file so store.ts stays readable.
 * lowdb, the memory store and PostgreSQL implement them all and pass the same contract.
 */

/** The placeholder password hash of an account that signs in only through a provider (issue 16). */
export const NO_PASSWORD = '';

/** Whether an account has a password at all (an identity-only account does not). */
export function hasPassword(user: Pick<UserRecord, 'passwordHash'>): boolean {
  return user.passwordHash !== NO_PASSWORD;
}

/**
 * What an access token says about where it is used (issue 14). All optional on TokenRecord so a
 * Stage A file, and other kinds of token, carry none of it.
 */
export type TokenMetadata = {
  /** Public, non-secret id (LoopBack's `:fk`): unique among tokens; never the hash. */
  id?: string;
  /** ISO instant of the last use the domain recorded (it decides how often to record one). */
  lastUsed?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** A page (browser) session or an API token. */
  session?: 'browser' | 'api';
};

/** A user's second factors (issue 17). Absent on a user = everything off. */
export type TwoFactorState = Readonly<{
  /** The TOTP secret, sealed by the domain; null = authenticator app off. */
  totpSecret: string | null;
  /** The last accepted time step: a code of that step or earlier is refused (no replay). */
  totpLastStep: number | null;
  totpEnabledAt: string | null;
  /** SHA-256 hex of each unspent recovery code. */
  recoveryCodeHashes: readonly string[];
  /** The WebAuthn user handle, made once with the first passkey. */
  userHandle: string | null;
}>;

/** No second factor at all: what a user without `twoFactor` has. */
export const NO_TWO_FACTOR: TwoFactorState = Object.freeze({
  totpSecret: null,
  totpLastStep: null,
  totpEnabledAt: null,
  recoveryCodeHashes: [],
  userHandle: null,
});

/** The Stage B fields of a user record (optional: a Stage A record has none). */
export type UserFeatures = {
  /** Issue 18: a disabled account cannot log in and its tokens do not work (the domain refuses). */
  disabled?: boolean;
  twoFactor?: TwoFactorState;
};

/** A registered passkey (issue 17). `credentialId` is unique across users. */
export type PasskeyRecord = Readonly<{
  credentialId: string;
  userId: UserId;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: readonly string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  created: string;
  lastUsed: string | null;
}>;

/** An account at an OpenID provider linked to a user (issue 16); unique on (issuer, subject). */
export type IdentityRecord = Readonly<{
  userId: UserId;
  /** Our configured provider's id (OIDC_PROVIDERS). */
  providerId: string;
  issuer: string;
  subject: string;
  /** The address the provider gave at linking (for the page; never used to match). */
  email: string | null;
  linkedAt: string;
}>;

/** An identity to link: the store fills in `userId`. */
export type NewIdentity = Omit<IdentityRecord, 'userId'>;

/** One security-activity entry (issue 14), append-only. */
export type ActivityRecord = Readonly<{
  /** A whole number from 1, in order of appending across all users (paging cursor). */
  id: number;
  userId: UserId;
  at: string;
  type: string;
  method?: string;
  ip?: string;
  device?: string;
  detail?: Readonly<Record<string, string>>;
}>;

/** An entry to append: the store assigns `id` and `userId`. */
export type NewActivity = Omit<ActivityRecord, 'id' | 'userId'>;

/** A user write's effects; `activity` (in WriteEffects) appends entries in the same write. */
export type FeatureEffects = WriteEffects;

/** A page of users for the operator: id ascending, `after` = the last id of the previous page. */
export type UserListQuery = {
  /** Case-blind substring of emailKey or usernameKey. */
  search?: string;
  unverified?: boolean;
  after?: UserId;
  limit: number;
};

/** A user to import with the id, hash, verified flag and live tokens it had elsewhere. */
export type ImportedUser = NewUser & { id: UserId; tokens: readonly NewToken[] };

/** What became of one imported row: the store never throws for a row. */
export type ImportOutcome =
  | { id: UserId; outcome: 'imported' | 'unchanged' }
  | { id: UserId; outcome: 'conflict'; field: 'id' | 'email' | 'username' };

/**
 * The Stage B store methods. Every user write bumps `version`, accepts WriteEffects (guard, spend,
 * revoke, issue, mail) plus `activity`, and throws StoreConflictError('user') when the user is gone.
 */
export interface FeatureStore {
  // Issue 14: sessions.
  /** Records a use of a token: `lastUsed = at` (a cheap write; no version bump). False when gone. */
  touchToken(hash: string, at: Date): Promise<boolean>;
  /** Deletes the user's token with this public id; false when it is not theirs or gone. */
  revokeTokenById(userId: UserId, id: string): Promise<boolean>;
  // Issue 14: activity.
  /** Appends entries; afterwards the user keeps at most `keepAtMost`, the oldest deleted first. */
  appendActivity(
    userId: UserId,
    entries: readonly NewActivity[],
    options: { keepAtMost: number },
  ): Promise<ActivityRecord[]>;
  /** Newest first; `before`: only entries with a smaller id (the last id of the previous page). */
  listActivity(userId: UserId, query: { before?: number; limit: number }): Promise<ActivityRecord[]>;
  /** Deletes entries whose `at` is before `olderThan`; returns how many went. */
  sweepActivity(olderThan: Date): Promise<number>;
  // Issue 16: identities.
  findUserByIdentity(
    issuer: string,
    subject: string,
  ): Promise<{ identity: IdentityRecord; user: UserRecord } | null>;
  /** Oldest first. */
  listIdentities(userId: UserId): Promise<IdentityRecord[]>;
  /** Conflict 'identity' when (issuer, subject) is linked to anyone already. */
  linkIdentity(userId: UserId, identity: NewIdentity, effects?: FeatureEffects): Promise<IdentityRecord>;
  /** False when this user has no such identity. */
  unlinkIdentity(userId: UserId, issuer: string, subject: string, effects?: FeatureEffects): Promise<boolean>;
  /** createUser and linkIdentity in one write (conflict 'identity', 'email' or 'username'). */
  createUserWithIdentity(
    user: NewUser,
    identity: NewIdentity,
    effects?: (id: UserId) => Pick<FeatureEffects, 'issue' | 'mail' | 'activity'>,
  ): Promise<UserRecord>;
  // Issue 17: two-factor.
  getTwoFactor(userId: UserId): Promise<TwoFactorState>;
  /** Turns the authenticator app on (`secret` sealed) or off (null). Recovery codes are left alone. */
  setTotp(
    userId: UserId,
    totp: { secret: string; lastStep: number; at: Date } | null,
    effects?: FeatureEffects,
  ): Promise<UserRecord>;
  /** True only when `step` > the stored step (and TOTP is on); stores it. Atomic: one racer wins. */
  acceptTotpStep(userId: UserId, step: number): Promise<boolean>;
  /** Replaces the recovery code set ([] clears it). */
  setRecoveryCodes(userId: UserId, hashes: readonly string[], effects?: FeatureEffects): Promise<UserRecord>;
  /** Removes one code: the count left, or null when not in the set (exactly one caller wins). */
  spendRecoveryCode(userId: UserId, hash: string, effects?: FeatureEffects): Promise<number | null>;
  /** Sets the WebAuthn user handle; conflict 'user' when the user has a different one already. */
  setUserHandle(userId: UserId, handle: string): Promise<UserRecord>;
  /** Conflict 'passkey' when the credential id is registered (to anyone) already. */
  addPasskey(
    userId: UserId,
    passkey: Omit<PasskeyRecord, 'userId'>,
    effects?: FeatureEffects,
  ): Promise<PasskeyRecord>;
  /** Oldest first. */
  listPasskeys(userId: UserId): Promise<PasskeyRecord[]>;
  findPasskeyWithUser(credentialId: string): Promise<{ passkey: PasskeyRecord; user: UserRecord } | null>;
  /** Records a sign-in: counter and lastUsed (no version bump). False when gone. */
  usePasskey(credentialId: string, use: { counter: number; at: Date }): Promise<boolean>;
  /** False when the user has no such passkey. Conflict 'passkey' never. */
  renamePasskey(userId: UserId, credentialId: string, name: string): Promise<boolean>;
  removePasskey(userId: UserId, credentialId: string, effects?: FeatureEffects): Promise<boolean>;
  // Issue 18: admin.
  /** Sets `disabled`; pass `revoke: {}` to end every token in the same write. */
  setDisabled(userId: UserId, disabled: boolean, effects?: FeatureEffects): Promise<UserRecord>;
  listUsers(query: UserListQuery): Promise<UserRecord[]>;
  /** Keeps each row's id; the id sequence moves past them (and past `nextId - 1`). Never throws per row. */
  importUsers(rows: readonly ImportedUser[], options?: { nextId?: number }): Promise<ImportOutcome[]>;
}
