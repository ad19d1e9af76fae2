import Tokens from 'csrf';
import type { Context, Middleware } from 'koa';
import { csrfRejected } from './http-error.js';

const tokens = new Tokens();

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** A fresh token for this session, made on first read (forms print it as `_csrf`). */
export function csrfTokenOf(ctx: Context): string {
  const session = ctx.session;
  if (!session) return '';
  session.csrfSecret ??= tokens.secretSync();
  return tokens.create(session.csrfSecret);
}

/** Whether `sent` is a token of this session's secret (constant-time, the csrf package's). */
export function isCsrfTokenValid(ctx: Context, sent: unknown): boolean {
  const secret = ctx.session?.csrfSecret;
  return typeof sent === 'string' && typeof secret === 'string' && tokens.verify(secret, sent);
}

/**
 * Synchroniser tokens for every HTML form: a per-session secret, a fresh token per page in
 * `ctx.state.csrfToken`, checked on every form POST (403 otherwise). Mounted by the pages app
 * only; the API has its own rule (protectSessionCalls).
 */
export function protectForms(): Middleware {
  return async function protectForms(ctx, next) {
    if (!ctx.session) return next();
    if (!SAFE_METHODS.includes(ctx.method)) {
      const sent = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
      if (!isCsrfTokenValid(ctx, sent)) throw csrfRejected();
    }
    Object.defineProperty(ctx.state, 'csrfToken', {
      enumerable: true,
      configurable: true,
      get: () => csrfTokenOf(ctx),
    });
    await next();
  };
}

/**
 * The API's CSRF rule. A call authenticated by a header or query token cannot be forged by another
 * site (it would have to know the token); one authenticated by the browser's page session can, so
 * a state-changing one needs the session's CSRF token (`X-CSRF-Token`) or an `Origin` that is this
 * site. Threat: a cross-site `fetch('/api/users/logout', {method: 'POST', credentials: 'include'})`.
 */
export function protectSessionCalls(options: {
  appOrigin: string;
  usesSession: (ctx: Context) => boolean;
}): Middleware {
  return async function protectSessionCalls(ctx, next) {
    if (SAFE_METHODS.includes(ctx.method) || !options.usesSession(ctx)) return next();
    const origin = ctx.get('origin');
    if (origin && origin === options.appOrigin) return next();
    if (isCsrfTokenValid(ctx, ctx.get('x-csrf-token'))) return next();
    throw csrfRejected();
  };
}
