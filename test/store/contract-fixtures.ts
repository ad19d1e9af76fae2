import type { NewMail, NewToken, NewUser, Store, TokenKind } from '../../server/store/store.js';
import { expiryOf, StoreConflictError } from '../../server/store/store.js';

/** An assert.rejects matcher: a StoreConflictError on `field`. */
export const conflict = (field: string) => (error: unknown) =>
  error instanceof StoreConflictError && error.field === field;

/** How a Store implementation is opened for the suite: fresh, and again on the same data. */
export type StoreFactory = {
  open(): Promise<Store>;
  /** Closes and opens the same data again, as a restart would. */
  reopen(store: Store): Promise<Store>;
  cleanup(): Promise<void>;
};

export const T0 = '2026-01-01T00:00:00.000Z';
export const HASH = '$2b$04$abcdefghijklmnopqrstuu5JrDQp0N4xm3m1W1q0QyG4I6xkq3Jxq';

/** A new user; the keys stand in for the domain's rule (lower case is enough for the store). */
export function newUser(email: string, username: string | null = null): NewUser {
  return {
    email,
    emailKey: email.toLowerCase(),
    username,
    usernameKey: username === null ? null : username.toLowerCase(),
    passwordHash: HASH,
    emailVerified: false,
    created: T0,
  };
}

/** A token created `createdOffsetS` seconds after T0, living `ttl` seconds. */
export function newToken(hash: string, kind: TokenKind = 'access', ttl = 60, createdOffsetS = 0): NewToken {
  const created = new Date(Date.parse(T0) + createdOffsetS * 1000).toISOString();
  return { hash, kind, created, ttl, expiresAt: expiryOf(created, ttl) };
}

/** A mail to `to`, due at `nextAttempt`. */
export function newMail(
  to: string,
  nextAttempt = T0,
  priority = 0,
  tokenHash: string | null = null,
): NewMail {
  return {
    kind: 'reset',
    priority,
    to,
    toKey: to.toLowerCase(),
    sealedLink: 'v1.sealed.link.text',
    tokenHash,
    params: {},
    created: nextAttempt,
    nextAttempt,
  };
}

/** An instant `seconds` after T0. */
export function at(seconds: number): Date {
  return new Date(Date.parse(T0) + seconds * 1000);
}
