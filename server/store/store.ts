/**
 * The persistence boundary. The domain (`auth/`) talks only to this interface, so the lowdb file
 * can be replaced by PostgreSQL without touching a rule. Records are immutable: a change writes a
 * new object, never mutates one that a reader (or a snapshot being serialised) may hold.
 */

/** A person's account. `emailLower`/`usernameLower` back the case-insensitive unique indexes. */
export type UserRecord = Readonly<{
  id: string;
  email: string;
  username: string | null;
  passwordHash: string;
  emailVerified: boolean;
  /** ISO-8601 instants. */
  created: string;
  passwordChanged: string;
}>;

/** What a token is good for: an access token logs in; reset and verify tokens do one thing each. */
export type TokenKind = 'access' | 'reset' | 'verify';

/** A token as stored: only the SHA-256 of its secret, so a copied file opens no account. */
export type TokenRecord = Readonly<{
  hash: string;
  userId: string;
  kind: TokenKind;
  created: string;
  /** Lifetime in seconds from `created`. */
  ttl: number;
}>;

export type MailKind = 'verify' | 'reset' | 'signup-attempt';

/**
 * An email waiting for delivery. Recorded in the same commit as the change that caused it, so an
 * acknowledged request never loses its email, whatever the mail server is doing.
 */
export type MailRecord = Readonly<{
  id: string;
  kind: MailKind;
  to: string;
  /** The link, sealed (see auth/sealed-links.ts): it holds a token secret. */
  sealedLink: string;
  created: string;
  attempts: number;
  /** ISO instant before which the sender leaves it alone (retry backoff). */
  nextAttempt: string;
  lastError: string | null;
}>;

/** One change. A commit of several changes is applied all-or-nothing. */
export type StoreChange =
  | { type: 'putUser'; user: UserRecord }
  | { type: 'deleteUser'; userId: string }
  | { type: 'putToken'; token: TokenRecord }
  | { type: 'deleteToken'; hash: string }
  | { type: 'deleteUserTokens'; userId: string; kinds?: readonly TokenKind[]; exceptHash?: string }
  | { type: 'putMail'; mail: MailRecord }
  | { type: 'deleteMail'; id: string };

/**
 * A precondition a commit checks at the moment it applies, so a rule checked before a slow step
 * (bcrypt) still holds when the change lands: nothing is applied if one fails.
 */
export type StoreGuard =
  /** The token still exists: spends a single-use token exactly once under concurrency. */
  | { type: 'tokenExists'; hash: string }
  /** The user exists and its password has not changed since it was checked. */
  | { type: 'passwordUnchanged'; userId: string; passwordHash: string };

/**
 * A commit broke a uniqueness rule (another request took the email or username first), or one of
 * its guards no longer held (`token`, `user`).
 */
export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
  constructor(readonly field: 'email' | 'username' | 'token' | 'user') {
    super(
      field === 'email' || field === 'username' ? `${field} already taken` : `${field} changed meanwhile`,
    );
  }
}

/** The file (or database) cannot be used: unreadable, corrupt, or of an unknown shape. */
export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
}

export interface Store {
  findUserById(id: string): Promise<UserRecord | null>;
  /** Case-insensitive. */
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /** Case-insensitive. */
  findUserByUsername(username: string): Promise<UserRecord | null>;
  findToken(hash: string): Promise<TokenRecord | null>;
  listUserTokens(userId: string): Promise<TokenRecord[]>;
  /** Mail whose `nextAttempt` is at or before `now`, oldest first. */
  listDueMail(now: Date, limit: number): Promise<MailRecord[]>;
  /**
   * Applies the changes atomically and resolves once they are durable (on disk). Throws
   * StoreConflictError, leaving nothing applied, if a putUser would break email/username uniqueness
   * or a guard does not hold.
   */
  commit(changes: readonly StoreChange[], guards?: readonly StoreGuard[]): Promise<void>;
  /** Deletes tokens whose lifetime ended before `now`; returns how many went. */
  sweepExpiredTokens(now: Date): Promise<number>;
  /** Waits for pending writes, then releases the file. */
  close(): Promise<void>;
}

/** Lower-cases for the case-insensitive indexes; NFC so visually equal addresses compare equal. */
export function normaliseKey(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** When a token stops being valid. */
export function tokenExpiresAt(token: Pick<TokenRecord, 'created' | 'ttl'>): number {
  return Date.parse(token.created) + token.ttl * 1000;
}
