import type { Context, Middleware } from 'koa';
import { looksLikeToken } from '../auth/tokens.js';
import type { AuthDeps, Authenticated } from '../auth/types.js';
import { authenticate } from '../auth/users.js';

/** Where the request's token came from; the session one is the only one tied to a browser cookie. */
export type TokenTransport = 'header' | 'x-access-token' | 'query' | 'cookie' | 'session';

export type RequestAuth = Authenticated & { transport: TokenTransport };

/**
 * LB3 clients send `Authorization: Bearer base64(token)` by default; others send the token raw.
 * Accept both, raw first.
 */
function fromAuthorizationHeader(header: string): string | null {
  const value = header.replace(/^Bearer\s+/i, '').trim();
  if (looksLikeToken(value)) return value;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return looksLikeToken(decoded) ? decoded : value || null;
}

/** The first token the request carries, in SPEC §4's order, and where it was. */
export function findTokenInRequest(ctx: Context): { secret: string; transport: TokenTransport } | null {
  const header = ctx.get('authorization');
  if (header) {
    const secret = fromAuthorizationHeader(header);
    if (secret) return { secret, transport: 'header' };
  }
  const xHeader = ctx.get('x-access-token');
  if (xHeader) return { secret: xHeader.trim(), transport: 'x-access-token' };
  const query = ctx.query.access_token;
  if (typeof query === 'string' && query) return { secret: query, transport: 'query' };
  const cookie = ctx.cookies.get('access_token');
  if (cookie) return { secret: cookie, transport: 'cookie' };
  const session = ctx.session?.token;
  if (typeof session === 'string' && session) return { secret: session, transport: 'session' };
  return null;
}

/** The authenticated user of this request, set by `resolveAccessToken`. */
export function authOf(ctx: Context): RequestAuth | null {
  return (ctx.state.auth as RequestAuth | null | undefined) ?? null;
}

/**
 * Resolves the request's access token to `ctx.state.auth` ({user, token, transport} or null).
 * The property is non-enumerable: @koa/ejs spreads ctx.state into view locals, and views get
 * plain values only, never a user record with its password hash.
 */
export function resolveAccessToken(deps: AuthDeps): Middleware {
  return async function resolveAccessToken(ctx, next) {
    const found = findTokenInRequest(ctx);
    let auth: RequestAuth | null = null;
    // On the reset page the query token is a reset token, never a login: leave it to the route.
    if (found && !(found.transport === 'query' && ctx.path === '/reset-password')) {
      const proof = await authenticate(deps, found.secret);
      if (proof) auth = { ...proof, transport: found.transport };
    }
    Object.defineProperty(ctx.state, 'auth', {
      value: auth,
      enumerable: false,
      writable: true,
      configurable: true,
    });
    await next();
  };
}
