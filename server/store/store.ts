/**
 * The persistence boundary. The domain (`auth/`, `mail/`) talks only to this interface, so the
 * lowdb file can be replaced by PostgreSQL (several instances on one database) without touching a
 * rule. Reads are shaped by what the domain asks; writes name the change they make and carry the
 * guards that keep them safe when every read is a network round trip and another instance may
 * write between a read and a write. Records are immutable: a change writes a new object, never
 * mutates one a reader (or a snapshot being serialised) may hold.
 */
import type { FeatureStore, NewActivity, TokenMetadata, UserFeatures } from './features.js';

export { expiryOf, tokenExpiresAt } from './expiry.js';
export * from './features.js';

/** A user's id: a whole number from 1, in order of creation (LoopBack 3's default id). */
export type UserId = number;

/** A person's account. */
export type UserRecord = Readonly<
  {
    id: UserId;
    /** The address as the person typed it (once canonical): mail goes here. */
    email: string;
    /** The domain's matching key for `email` (auth/canonical.ts); unique among users. */
    emailKey: string;
    username: string | null;
    /** The domain's matching key for `username`; unique among users; null without a username. */
    usernameKey: string | null;
    passwordHash: string;
    emailVerified: boolean;
    /** A new address waiting for its confirmation link (issue 10.1); the old one stays in use. */
    pendingEmail: string | null;
    pendingEmailKey: string | null;
    /** ISO-8601 instants. */
    created: string;
    passwordChanged: string;
    /** Bumped by every change to this record: the guard of a read-modify-write (UserGuard). */
    version: number;
  } & UserFeatures
>;

/**
 * What a token is good for: an access token logs in; the others do one thing each (reset the
 * password, verify the email, confirm or cancel a pending email change, `mfa`: the short-lived
 * ticket between a password and its second factor, spent once).
 */
export type TokenKind = 'access' | 'reset' | 'verify' | 'email-confirm' | 'email-cancel' | 'mfa';

/** A token as stored: only the SHA-256 of its secret, so a copied file opens no account. */
export type TokenRecord = Readonly<
  {
    hash: string;
    userId: UserId;
    kind: TokenKind;
    created: string;
    /** Lifetime in seconds from `created` (LoopBack's `ttl`, shown to API clients). */
    ttl: number;
    /** `created + ttl`, stored so a database can index and sweep it. ISO instant. */
    expiresAt: string;
  } & TokenMetadata
>;

/** A token to issue: the store fills in `userId`. */
export type NewToken = Omit<TokenRecord, 'userId'>;
/**
 * An email waiting for delivery. Recorded in the same write as the change that caused it, so an
 * acknowledged request never loses its email, whatever the mail server is doing.
 */
export type MailRecord = Readonly<{
  /** A whole number from 1, in order of queuing. */
  id: number;
  /** The domain's mail kind (its table of kinds lives in mail/); the store does not interpret it. */
  kind: string;
  /** Lower goes first: links people wait for (0) never queue behind notices (1). */
  priority: number;
  to: string;
  /** The recipient's matching key: fairness (one per recipient per claim) groups by it. */
  toKey: string;
  userId: UserId | null;
  /** The link, sealed (see auth/sealed-links.ts): it holds a token secret. Null: no link. */
  sealedLink: string | null;
  /** The token the link carries: when it is gone (spent, replaced, expired) the mail is dropped. */
  tokenHash: string | null;
  /** Plain values the template shows (never a secret). */
  params: Readonly<Record<string, string>>;
  created: string;
  attempts: number;
  /** ISO instant before which no sender claims it (retry backoff). */
  nextAttempt: string;
  lastError: string | null;
  /** Who holds it now: set by claimDueMail, checked by finishMail/retryMail. */
  claim: string | null;
  /** The claim lapses at this instant (a crashed sender's mail is claimed again after it). */
  claimedUntil: string | null;
}>;

/** A mail to queue: the store assigns `id` and the delivery fields. */
export type NewMail = Omit<
  MailRecord,
  'id' | 'attempts' | 'lastError' | 'claim' | 'claimedUntil' | 'nextAttempt' | 'userId'
> & {
  nextAttempt?: string;
  /** Set by the user writes; a notice queued alone may name the user it concerns. */
  userId?: UserId | null;
};

/** A mail handed to one sender by claimDueMail: `claim` is set. */
export type ClaimedMail = MailRecord & { claim: string; claimedUntil: string };

/** A new account, as the domain decided it; the store assigns `id`, `version` and `pendingEmail*`. */
export type NewUser = Pick<
  UserRecord,
  'email' | 'emailKey' | 'username' | 'usernameKey' | 'passwordHash' | 'emailVerified' | 'created'
>;

/**
 * What must still hold about the user when a write lands (else StoreConflictError('user'), nothing
 * applied). `version`: nothing changed the record since it was read. `passwordHash`: the password
 * checked before a slow step (bcrypt) is still the password — for a login, which must not fail
 * because the profile changed meanwhile.
 */
export type UserGuard = { version?: number; passwordHash?: string };

/** Which of a user's tokens a write deletes. Absent fields select everything. */
export type TokenSelection = {
  kinds?: readonly TokenKind[];
  /** Keep this one (the caller's own session). */
  except?: string;
  /** Only these hashes (and only if they are the user's). */
  hashes?: readonly string[];
};

/**
 * Side effects a user write applies in the same atomic step, in this order: check `guard`, spend
 * `spend`, delete `revoke`, add `issue`, queue `mail` (with `userId` set to the user's).
 */
export type WriteEffects = {
  guard?: UserGuard;
  /** A single-use token of this user and kind, spent: missing → StoreConflictError('token'). */
  spend?: { hash: string; kind: TokenKind };
  revoke?: TokenSelection;
  issue?: readonly NewToken[];
  mail?: readonly NewMail[];
  /** Security-activity entries appended in the same write, the user's oldest dropped past the cap. */
  activity?: { entries: readonly NewActivity[]; keepAtMost: number };
};

/** What a new user's first write may add: it has nothing yet to guard, spend or revoke. */
export type CreationEffects = Pick<WriteEffects, 'issue' | 'mail' | 'activity'>;

/** The profile fields setProfile changes; an absent field is left as it is. */
export type ProfileChange = {
  username?: { username: string; usernameKey: string } | null;
  /** Starts (or, with null, cancels) a pending email change. */
  pendingEmail?: { email: string; emailKey: string } | null;
};

/** The queue's size for the logs: how many are waiting and since when. */
export type MailQueueStats = { depth: number; oldestCreated: string | null };

/**
 * A write broke a uniqueness rule (another request took the email or username first), or one of
 * its guards no longer held (`token`: the token to spend is gone; `user`: missing or changed).
 */
export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
  constructor(readonly field: 'email' | 'username' | 'token' | 'user' | 'identity' | 'passkey') {
    super(field === 'token' || field === 'user' ? `${field} changed meanwhile` : `${field} already taken`);
  }
}

/** The file (or database) cannot be used: unreadable, corrupt, or of an unknown shape. */
export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

/** The store cannot be reached or cannot write now (a database gone away, a disk full): a 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * The domain's store. Every write resolves once it is durable (on disk, or committed), applies
 * all-or-nothing, and throws StoreConflictError (nothing applied) when a uniqueness rule or guard
 * fails. The Stage B records (features.ts) are part of it: every store keeps them.
 */
export interface Store extends FeatureStore {
  findUserById(id: UserId): Promise<UserRecord | null>;
  /** By the domain's matching key (an exact compare: the key is already canonical). */
  findUserByEmailKey(emailKey: string): Promise<UserRecord | null>;
  findUserByUsernameKey(usernameKey: string): Promise<UserRecord | null>;
  /** A token and its user in one call, expired or not (the caller checks `expiresAt`). */
  findTokenWithUser(hash: string): Promise<{ token: TokenRecord; user: UserRecord } | null>;
  /** Every token of the user, expired ones included, oldest first. */
  listUserTokens(userId: UserId): Promise<TokenRecord[]>;

  /** Creates an account with the next id; `effects` sees that id (a verification link holds it). */
  createUser(user: NewUser, effects?: (id: UserId) => CreationEffects): Promise<UserRecord>;
  /** Sets the password hash and `passwordChanged`; `emailVerified: true` when a reset proves the mailbox. */
  setPassword(
    userId: UserId,
    change: { passwordHash: string; at: Date; emailVerified?: true },
    effects?: WriteEffects,
  ): Promise<UserRecord>;
  /** Marks the email verified (typically spending a verify token). */
  markEmailVerified(userId: UserId, effects?: WriteEffects): Promise<UserRecord>;
  /** Changes the username and/or the pending email. Conflict `username` when taken. */
  setProfile(userId: UserId, change: ProfileChange, effects?: WriteEffects): Promise<UserRecord>;
  /**
   * Makes the pending email the email (verified), clearing the pending fields. Conflict `email`
   * when another account took it meanwhile; `user` when nothing is pending.
   */
  confirmPendingEmail(userId: UserId, effects?: WriteEffects): Promise<UserRecord>;
  /**
   * Adds a token to the user (a login, a fresh emailed link). `keepAtMost`: afterwards the user
   * holds at most that many tokens of the new token's kind, the oldest deleted first.
   */
  issueToken(
    userId: UserId,
    token: NewToken,
    effects?: WriteEffects & { keepAtMost?: number },
  ): Promise<TokenRecord>;
  /** consumeOne: deletes the token and returns it; of concurrent callers exactly one gets it. */
  spendToken(hash: string): Promise<TokenRecord | null>;
  /** Deletes the user's tokens that `selection` picks; returns how many went. */
  revokeTokens(userId: UserId, selection?: TokenSelection): Promise<number>;
  /**
   * Deletes the user with every token and queued mail of theirs; false when already gone (and
   * then nothing is queued). `mail` is queued in the same write with no user (userId null), so it
   * outlives the account: "your account was deleted" is never lost to a crash after the delete.
   */
  deleteUser(userId: UserId, effects?: Pick<WriteEffects, 'guard' | 'mail'>): Promise<boolean>;
  /** Queues mail that changes nothing else (a notice to an address's owner). */
  enqueueMail(mail: readonly NewMail[]): Promise<MailRecord[]>;

  /**
   * Claims up to `limit` mails due at `now` (nextAttempt ≤ now, unclaimed or claim lapsed), for
   * this caller until `until`: lowest priority first, then oldest nextAttempt, at most one per
   * `toKey` in one call so no recipient holds the queue. Found through an index, never a sort.
   */
  claimDueMail(now: Date, until: Date, limit: number): Promise<ClaimedMail[]>;
  /** Deletes a sent (or dropped) mail, only if `claim` still holds it; false otherwise. */
  finishMail(id: number, claim: string): Promise<boolean>;
  /** Records a failed try and releases the claim, only if `claim` still holds it; false otherwise. */
  retryMail(id: number, claim: string, retry: { nextAttempt: Date; error: string }): Promise<boolean>;
  mailQueueStats(): Promise<MailQueueStats>;

  /** Deletes tokens whose `expiresAt` is before `now`; returns how many went. */
  sweepExpiredTokens(now: Date): Promise<number>;
  /** Waits for pending writes, then releases the file (or pool) and any lock. */
  close(): Promise<void>;
}
