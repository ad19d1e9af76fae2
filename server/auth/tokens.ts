import { createHash, randomBytes } from 'node:crypto';
import type { TokenKind, TokenRecord } from '../store/store.js';
import { tokenExpiresAt } from '../store/store.js';

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

/** A token is valid up to and including `created + ttl`, and refused one second later. */
export function isExpired(token: Pick<TokenRecord, 'created' | 'ttl'>, now: Date): boolean {
  return now.getTime() > tokenExpiresAt(token);
}

/** A new token: the secret goes to its holder once, the record (hash only) to the store. */
export function issueToken(
  userId: string,
  kind: TokenKind,
  ttlSeconds: number,
  now: Date,
): { secret: string; record: TokenRecord } {
  const secret = createTokenSecret();
  return {
    secret,
    record: { hash: hashToken(secret), userId, kind, created: now.toISOString(), ttl: ttlSeconds },
  };
}
