import type Koa from 'koa';
import type { Middleware } from 'koa';
import session from 'koa-session';

/**
 * The page session cookie (koa-session, signed with SESSION_KEYS), the same on both apps: the
 * pages start and end it, the API reads it (a browser's fetch to /api is authenticated by it).
 * `__Host-` when APP_URL is https: no subdomain can set or overwrite it.
 */
export function pageSessionCookie(app: Koa, options: { secure: boolean }): Middleware {
  return session(
    {
      key: options.secure ? '__Host-session' : 'session',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      signed: true,
      maxAge: 'session',
      renew: false,
      rolling: false,
    },
    app,
  ) as unknown as Middleware;
}

/** APP_URL is https: the browser sees https even when a proxy speaks http to us. */
export function markSecureCookies(secure: boolean): Middleware {
  return async function markSecureCookies(ctx, next) {
    if (secure) ctx.cookies.secure = true;
    await next();
  };
}
