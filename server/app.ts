import Koa from 'koa';
import { createApiApp } from './api/api-app.js';
import { serveExplorer } from './api/explorer.js';
import type { AuthDeps } from './auth/types.js';
import { createPagesApp } from './boot/routes.js';
import type { Deps } from './deps.js';
import { createLimiter } from './middleware/rate-limit.js';
import { logRequests } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';

/** The part of Deps the domain sees. */
export function authDepsOf(deps: Deps): AuthDeps {
  const { config } = deps;
  return {
    store: deps.store,
    hasher: deps.hasher,
    clock: deps.clock,
    events: deps.events,
    sealer: deps.sealer,
    settings: {
      appUrl: config.appUrl,
      emailVerificationRequired: config.emailVerificationRequired,
      accessTokenTtl: config.accessTokenTtl,
      maxAccessTokenTtl: config.maxAccessTokenTtl,
      resetTokenTtl: config.resetTokenTtl,
      verifyTokenTtl: config.verifyTokenTtl,
      bcryptRounds: config.bcryptRounds,
      passwordMinLength: config.passwordMinLength,
      securityLogDays: config.securityLogDays,
      securityLogMax: config.securityLogMax,
    },
  };
}

// The API's mount point, matched case-blind as @koa/router matches its routes: `/API/users/login`
// is the API's, with the API's body, CSRF and error rules, never a page's.
const API_MOUNT = /^\/api(?:\/|$)/i;

/**
 * Two Koa apps on one server, each with its own error, body and CSRF stack: the JSON API under
 * /api (api/api-app.ts) and the pages (boot/routes.ts). What they share is here: the request log,
 * the security headers and one limiter, so a login through either spends the same budgets.
 * Never listens, never reads process.env.
 */
export function createApp(deps: Deps): Koa {
  const { config } = deps;
  const auth = authDepsOf(deps);
  // RATE_LIMITS=off: load tests only (refused in production by config.ts).
  const limiter = config.rateLimits ? (deps.limiter ?? createLimiter()) : null;
  const shared: Deps = limiter ? { ...deps, limiter } : deps;
  const api = createApiApp(shared, auth, limiter).callback();
  const pages = createPagesApp(shared, auth).callback();

  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.keys = [...config.sessionKeys];
  app.silent = true;
  app.use(logRequests(deps.log));
  app.use(securityHeaders({ https: config.secureCookies }));
  if (config.apiExplorer) app.use(serveExplorer());
  app.use(async function dispatch(ctx) {
    // Each app answers on its own; this one only logs and sets the shared headers.
    ctx.respond = false;
    await (API_MOUNT.test(ctx.path) ? api : pages)(ctx.req, ctx.res);
  });
  return app;
}
