import { deviceName } from '../auth/devices.js';
import type { LoginResult } from '../auth/types.js';
import { type TokenRecord, tokenExpiresAt, type UserRecord } from '../store/store.js';
import type { AccessTokenView, LoginResultView, UserView } from './schemas.js';

/**
 * Allow-list presenters: each names the fields that may leave the server, so a field added to a
 * record later (a hash, a secret) stays private until someone adds it here on purpose.
 */

/** A user as the API shows it: never the password hash; `providers`: its linked providers' ids. */
export function presentUser(user: UserRecord, providers?: readonly string[]): UserView {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    emailVerified: user.emailVerified,
    created: user.created,
    ...(providers ? { providers: [...providers] } : {}),
  };
}

/**
 * The answer to a login, in LoopBack's shape: `id` is the token secret, handed to its holder this
 * once (the store keeps only its hash).
 */
export function presentLogin(result: LoginResult, includeUser: boolean): LoginResultView {
  return {
    id: result.secret,
    ttl: result.token.ttl,
    created: result.token.created,
    userId: result.token.userId,
    ...(includeUser ? { user: presentUser(result.user) } : {}),
  };
}

// 16 hex characters (64 bits) of the SHA-256: enough to tell a user's tokens apart, useless for
// finding the token (the store is keyed by the whole hash, and the hash does not give the secret).
export const LISTING_ID_LENGTH = 16;

/** A token's metadata for listings: never its secret, never its full hash. */
export function presentAccessToken(token: TokenRecord, currentHash: string | null): AccessTokenView {
  return {
    // Issue 14: the token's public id (a random value, never from the hash) when it has one.
    id: token.id ?? token.hash.slice(0, LISTING_ID_LENGTH),
    ttl: token.ttl,
    created: token.created,
    expires: new Date(tokenExpiresAt(token)).toISOString(),
    // LoopBack's name for the scope of an ordinary login token; reset tokens are never listed.
    scopes: ['DEFAULT'],
    userId: token.userId,
    current: token.hash === currentHash,
    lastUsed: token.lastUsed ?? null,
    ip: token.ip ?? null,
    device: deviceName(token.userAgent),
    session: token.session ?? 'api',
  };
}
