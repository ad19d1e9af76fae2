import type { TokenRecord } from './store.js';

/* Token lifetimes: kept apart from store.ts so the interface file stays short. */

/** When a token stops being valid, in ms since the epoch. */
export function tokenExpiresAt(token: Pick<TokenRecord, 'expiresAt'>): number {
  return Date.parse(token.expiresAt);
}

/** `created + ttl` as the instant stored in `expiresAt`. */
export function expiryOf(created: Date | string, ttlSeconds: number): string {
  const start = typeof created === 'string' ? Date.parse(created) : created.getTime();
  return new Date(start + ttlSeconds * 1000).toISOString();
}
