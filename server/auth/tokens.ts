import { createHash, randomBytes } from 'node:crypto';
import type { NewToken, TokenKind, TokenRecord } from '../store/store.js';
import { expiryOf } from '../store/store.js';

/** 48 random bytes in base64url: exactly 64 url-safe characters. */
export function createTokenSecret(): string {
  return randomBytes(48).toString('base64url');
}

/** What the store keeps instead of the secret: a copied file opens no account. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Shape check before any look-up: a token is 64 url-safe characters. */
export function looksLikeToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{64}$/.test(value);
}

/** A token is valid up to and including `expiresAt`, and refused one millisecond later. */
export function isExpired(token: Pick<TokenRecord, 'expiresAt'>, now: Date): boolean {
  return now.getTime() > Date.parse(token.expiresAt);
}

/** A new token: the secret goes to its holder once, the record (hash only) to the store. */
export function issueToken(
  kind: TokenKind,
  ttlSeconds: number,
  now: Date,
): { secret: string; record: NewToken } {
  const secret = createTokenSecret();
  return {
    secret,
    record: {
      hash: hashToken(secret),
      kind,
      created: now.toISOString(),
      ttl: ttlSeconds,
      expiresAt: expiryOf(now, ttlSeconds),
    },
  };
}
