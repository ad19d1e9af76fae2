import Koa from 'koa';
import type { AuthDeps } from '../auth/types.js';
import type { Deps } from '../deps.js';
import { authOf, resolveAccessToken } from '../middleware/access-token.js';
import { apiSecurityHeaders } from '../middleware/api-headers.js';
import { parseJsonBodies } from '../middleware/body.js';
import { allowListedOrigins } from '../middleware/cors.js';
import { protectSessionCalls } from '../middleware/csrf.js';
import { catchErrors, renderJsonError } from '../middleware/errors.js';
import type { Limiter } from '../middleware/rate-limit.js';
import { logRequests } from '../middleware/request-log.js';
import { markSecureCookies, pageSessionCookie } from '../middleware/session.js';
import { answerUnsupportedMethods } from '../middleware/unsupported-methods.js';
import { healthRoutes } from './health.js';
import { presentAuthError } from './present-error.js';
import { createApiRouter } from './router.js';

/**
 * The JSON API under /api as a Koa app of its own (Outline's `routes/api`): LoopBack's error
 * envelope, JSON bodies only, CORS from CORS_ORIGINS, and its own CSRF rule for calls a browser's
 * cookies authenticate. app.ts serves it for every /api path, so nothing guesses "API or page";
 * it logs its own requests and sets its own security headers (middleware/api-headers.ts).
 */
export function createApiApp(deps: Deps, auth: AuthDeps, limiter: Limiter | null): Koa {
  const { config } = deps;
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.keys = [...config.sessionKeys];
  app.silent = true;
  const appOrigin = new URL(config.appUrl).origin;

  app.use(logRequests(deps.log));
  app.use(apiSecurityHeaders({ https: config.secureCookies }));
  app.use(catchErrors(deps.log, presentAuthError(config), renderJsonError));
  // No CORS_ORIGINS (the default): no origin is ever granted, so an answer never varies by Origin
  // and the middleware (and its `Vary: Origin`) would only cost every request (issue 15).
  if (config.corsOrigins.length > 0) app.use(allowListedOrigins(config.corsOrigins));
  if (config.secureCookies) app.use(markSecureCookies(true));
  app.use(pageSessionCookie(app, { secure: config.secureCookies }));
  app.use(parseJsonBodies());
  app.use(resolveAccessToken(auth));
  app.use(
    protectSessionCalls({
      appOrigin,
      // Cookies ride along with any cross-site request; header and query tokens do not.
      usesSession: (ctx) => ['session', 'cookie'].includes(authOf(ctx)?.transport ?? ''),
    }),
  );
  const health = healthRoutes(deps);
  app.use(health.routes());
  app.use(answerUnsupportedMethods(health));
  const router = createApiRouter(auth, limiter);
  app.use(router.routes());
  app.use(answerUnsupportedMethods(router));
  return app;
}
