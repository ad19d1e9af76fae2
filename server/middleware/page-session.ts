import type { Context } from 'koa';

/**
 * The page session: the signed cookie (koa-session) that holds a logged-in browser's access token.
 * The only module that starts, ends or reads it; the access-token lookup reads it through
 * `pageSessionToken` so nobody else knows where the token sits in the cookie.
 */

/** How long the cookie lives: `remember` keeps it for the token's lifetime, else the browser session. */
export type PageSessionOptions = { remember: boolean; ttlSeconds?: number };

/**
 * Starts a fresh session holding only this token. The pre-login cookie (and its CSRF secret) is
 * dropped first, so a session id planted before login authenticates nothing (session fixation).
 */
export function startPageSession(
  ctx: Context,
  secret: string,
  { remember, ttlSeconds }: PageSessionOptions,
): void {
  ctx.session = null;
  ctx.session = { token: secret } as NonNullable<Context['session']>;
  ctx.session.maxAge = remember && ttlSeconds ? ttlSeconds * 1000 : 'session';
}

/** Ends the session: the cookie is cleared on the response. */
export function endPageSession(ctx: Context): void {
  ctx.session = null;
}

/**
 * Drops a token that no longer opens anything (revoked elsewhere, expired) but keeps the rest of
 * the session, its CSRF secret included, so a form the browser already shows still posts.
 */
export function forgetPageSessionToken(ctx: Context): void {
  if (ctx.session) delete ctx.session.token;
}

/** The access token this browser's session holds, or null. */
export function pageSessionToken(ctx: Context): string | null {
  const token = ctx.session?.token;
  return typeof token === 'string' && token ? token : null;
}

/** Whether this session was started with "Remember me" (a persistent cookie). */
export function pageSessionRemembered(ctx: Context): boolean {
  const maxAge = ctx.session?.maxAge;
  return maxAge !== undefined && maxAge !== 'session';
}
