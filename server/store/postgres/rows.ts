import type { MailRecord, TokenKind, TokenRecord, UserRecord } from '../store.js';

/** A users row as pg returns it: bigint as a string, timestamptz as a Date. */
export type UserRow = {
  id: string;
  email: string;
  email_key: string;
  username: string | null;
  username_key: string | null;
  password_hash: string;
  email_verified: boolean;
  pending_email: string | null;
  pending_email_key: string | null;
  created: Date;
  password_changed: Date;
  version: number;
};

export type TokenRow = {
  hash: string;
  user_id: string;
  kind: TokenKind;
  created: Date;
  ttl: number;
  expires_at: Date;
};

export type MailRow = {
  id: string;
  kind: string;
  priority: number;
  recipient: string;
  recipient_key: string;
  user_id: string | null;
  sealed_link: string | null;
  token_hash: string | null;
  params: Record<string, string>;
  created: Date;
  attempts: number;
  next_attempt: Date;
  last_error: string | null;
  claim: string | null;
  claimed_until: Date | null;
};

export const USER_COLUMNS =
  'id, email, email_key, username, username_key, password_hash, email_verified, pending_email, pending_email_key, created, password_changed, version';
export const TOKEN_COLUMNS = 'hash, user_id, kind, created, ttl, expires_at';

/** Ids are bigint in the database; within 2^53 they are exact JavaScript numbers. */
export function toUser(row: UserRow): UserRecord {
  return Object.freeze({
    id: Number(row.id),
    email: row.email,
    emailKey: row.email_key,
    username: row.username,
    usernameKey: row.username_key,
    passwordHash: row.password_hash,
    emailVerified: row.email_verified,
    pendingEmail: row.pending_email,
    pendingEmailKey: row.pending_email_key,
    created: row.created.toISOString(),
    passwordChanged: row.password_changed.toISOString(),
    version: row.version,
  });
}

export function toToken(row: TokenRow): TokenRecord {
  return Object.freeze({
    hash: row.hash,
    userId: Number(row.user_id),
    kind: row.kind,
    created: row.created.toISOString(),
    ttl: row.ttl,
    expiresAt: row.expires_at.toISOString(),
  });
}

export function toMail(row: MailRow): MailRecord {
  return Object.freeze({
    id: Number(row.id),
    kind: row.kind,
    priority: row.priority,
    to: row.recipient,
    toKey: row.recipient_key,
    userId: row.user_id === null ? null : Number(row.user_id),
    sealedLink: row.sealed_link,
    tokenHash: row.token_hash,
    params: Object.freeze({ ...row.params }),
    created: row.created.toISOString(),
    attempts: row.attempts,
    nextAttempt: row.next_attempt.toISOString(),
    lastError: row.last_error,
    claim: row.claim,
    claimedUntil: row.claimed_until?.toISOString() ?? null,
  });
}
