import type { IncomingMessage, RequestListener } from 'node:http';
import Koa from 'koa';
import { createApiApp } from './api/api-app.js';
import { serveExplorer } from './api/explorer.js';
import { HEALTH_PATH } from './api/health.js';
import { authDepsOf } from './auth-deps.js';
import { createPagesApp } from './boot/routes.js';
import type { Deps } from './deps.js';
import { createLimiter } from './middleware/rate-limit.js';
import { logRequests } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';

// The API's mount point, matched case-blind as @koa/router matches its routes: `/API/users/login`
// is the API's, with the API's body, CSRF and error rules, never a page's.
const API_MOUNT = /^\/api(?:\/|$)/i;

/**
 * The request's path as Koa's ctx.path reads it, without building a Koa context: an origin-form
 * target (`/api/users/me?x=1`, nearly every request) up to its query; any other form (absolute,
 * `*`, odd characters) through the URL parser.
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (url.startsWith('/') && !/[\s#\u00a0\ufeff]/.test(url)) {
    const query = url.indexOf('?');
    return query === -1 ? url : url.slice(0, query);
  }
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return url;
  }
}

/**
 * Two Koa apps on one server, each with its own error, body and CSRF stack: the JSON API under
 * /api (api/api-app.ts) and the pages (boot/routes.ts), with one limiter, so a login through
 * either spends the same budgets. An API request goes straight to the API app, which logs it and
 * sets the API's own security headers (issue 15: a second Koa context and helmet's page headers
 * cost a third of /api/users/me's time); everything else goes through the site app here (the
 * request log, the pages' security headers, the explorer) to the pages. /healthz goes to the API
 * app too (api/health.ts says why).
 * Never listens, never reads process.env.
 */
export function createApp(deps: Deps): RequestListener {
  const { config } = deps;
  const auth = authDepsOf(deps);
  // RATE_LIMITS=off: load tests only (refused in production by config.ts).
  const limiter = config.rateLimits ? (deps.limiter ?? createLimiter()) : null;
  const shared: Deps = limiter ? { ...deps, limiter } : deps;
  const api = createApiApp(shared, auth, limiter).callback();
  const pages = createPagesApp(shared, auth).callback();

  const site = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  site.keys = [...config.sessionKeys];
  site.silent = true;
  site.use(logRequests(deps.log));
  site.use(securityHeaders({ https: config.secureCookies }));
  if (config.apiExplorer) site.use(serveExplorer());
  site.use(async function dispatch(ctx) {
    // The pages app answers on its own; this one only logs and sets the shared headers.
    ctx.respond = false;
    await pages(ctx.req, ctx.res);
  });
  const rest = site.callback();
  return (req, res) => {
    const path = requestPath(req);
    return (API_MOUNT.test(path) || HEALTH_PATH.test(path) ? api : rest)(req, res);
  };
}
