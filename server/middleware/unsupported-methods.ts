import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { refuse } from './http-error.js';

/**
 * 405 (with its `Allow` header) and 501 through the app's one error handler, so the API answers in
 * its envelope and pages with the error page: @koa/router leaves the body empty, or throws before
 * setting `Allow`.
 */
export function answerUnsupportedMethods(router: Router): Middleware {
  // The router's own middleware types its context for routes; here it runs as plain middleware.
  const allowed = router.allowedMethods() as unknown as Middleware;
  return async function answerUnsupportedMethods(ctx, next) {
    await allowed(ctx, next);
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 405) throw refuse(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed here.`);
    if (ctx.status === 501) throw refuse(501, 'NOT_IMPLEMENTED', `${ctx.method} is not implemented.`);
  };
}
