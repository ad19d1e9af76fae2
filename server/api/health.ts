import Router from '@koa/router';
import type { Deps } from '../deps.js';

/**
 * GET /healthz for a load balancer: 200 while the database answers, 503 (with Retry-After) while it
 * does not, so traffic goes to instances that can serve it; never a hang (the probe is bounded,
 * health.ts). Served by the API app (app.ts sends it there), not the pages: a probe needs no
 * session, CSRF secret, form parser, page limiter or page headers, and through the pages each probe
 * left ~4× the garbage of an API call (issue 15: at 100k users a /healthz flood took peak RSS to
 * ~700 MB). The answer carries the API's security headers and `Cache-Control: no-store`.
 */
export function healthRoutes(deps: Pick<Deps, 'databaseAnswers'>): Router {
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    if (!deps.databaseAnswers || (await deps.databaseAnswers())) {
      ctx.body = { status: 'ok', database: 'ok' };
      return;
    }
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.body = { status: 'unavailable', database: 'down' };
  });
  return router;
}

/** The path app.ts hands to the API app besides /api, matched case-blind as the routers match. */
export const HEALTH_PATH = /^\/healthz\/?$/i;
