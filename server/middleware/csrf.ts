import Tokens from 'csrf';
import type { Middleware } from 'koa';
import { csrfRejected } from '../auth/errors.js';
import { wantsJson } from './errors.js';

const tokens = new Tokens();

/**
 * Synchroniser tokens for every HTML form: a per-session secret, a fresh token per page in
 * `ctx.state.csrfToken` (forms print it as `_csrf`), checked in constant time on every form POST.
 * The JSON API is exempt: it refuses form bodies (415) and a cross-site page cannot send JSON
 * without a CORS preflight, which this app never grants.
 */
export function protectForms(): Middleware {
  return async function protectForms(ctx, next) {
    if (wantsJson(ctx)) return next();
    const session = ctx.session;
    if (!session) return next();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) {
      const sent = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
      const secret = session.csrfSecret;
      if (typeof sent !== 'string' || typeof secret !== 'string' || !tokens.verify(secret, sent)) {
        throw csrfRejected();
      }
    }
    Object.defineProperty(ctx.state, 'csrfToken', {
      enumerable: true,
      configurable: true,
      get: () => {
        const current = ctx.session;
        if (!current) return '';
        current.csrfSecret ??= tokens.secretSync();
        return tokens.create(current.csrfSecret);
      },
    });
    await next();
  };
}
