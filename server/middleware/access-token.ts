import type { Context, Middleware } from 'koa';
import { touchSession } from '../auth/account-centre.js';
import { authenticate } from '../auth/sessions.js';
import { looksLikeToken } from '../auth/tokens.js';
import type { AuthDeps, Authenticated } from '../auth/types.js';
import { pageSessionToken } from './page-session.js';

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

/**
 * The first token the request carries, in SPEC §4's order, and where it was. The `access_token`
 * cookie counts only when signed with SESSION_KEYS as Koa signs cookies (`access_token.sig`), as
 * LoopBack 3 read only signed cookies, and only when there is no page session: threat, a cookie
 * planted by a sibling subdomain that would log the victim in to the attacker's account.
 */
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
  const session = pageSessionToken(ctx);
  if (session) return { secret: session, transport: 'session' };
  const cookie = ctx.cookies.get('access_token', { signed: true });
  if (cookie) return { secret: cookie, transport: 'cookie' };
  return null;
}

/** The authenticated user of this request, set by `resolveAccessToken`. */
export function authOf(ctx: Context): RequestAuth | null {
  return (ctx.state.auth as RequestAuth | null | undefined) ?? null;
}

export type ResolveOptions = {
  /** A query token this route reads itself (the reset page's link token is no login). */
  leaveQueryToken?: (ctx: Context) => boolean;
};

/**
 * Resolves the request's access token to `ctx.state.auth` ({user, token, transport} or null).
 * The property is non-enumerable: @koa/ejs spreads ctx.state into view locals, and views get
 * plain values only, never a user record with its password hash.
 */
export function resolveAccessToken(deps: AuthDeps, options: ResolveOptions = {}): Middleware {
  return async function resolveAccessToken(ctx, next) {
    const found = findTokenInRequest(ctx);
    let auth: RequestAuth | null = null;
    if (found && !(found.transport === 'query' && options.leaveQueryToken?.(ctx))) {
      const proof = await authenticate(deps, found.secret);
      if (proof) auth = { ...proof, transport: found.transport };
      // Issue 14: the token's last use, written at most once a minute (account-centre.ts).
      if (proof) await touchSession(deps, proof.token);
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
