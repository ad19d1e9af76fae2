import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import koaEjs from '@koa/ejs';
import Koa from 'koa';
import session from 'koa-session';
import serveStatic from 'koa-static';
import { serveExplorer } from './api/explorer.js';
import { createApiRouter } from './api/users.js';
import type { AuthDeps } from './auth/types.js';
import { createPageRouter } from './boot/routes.js';
import type { Deps } from './deps.js';
import { authOf, resolveAccessToken } from './middleware/access-token.js';
import { parseBodies } from './middleware/body.js';
import { protectForms } from './middleware/csrf.js';
import { handleErrors, wantsJson } from './middleware/errors.js';
import { throttleAuth } from './middleware/rate-limit.js';
import { logRequests } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';
import { answerUnsupportedMethods } from './middleware/unsupported-methods.js';

const root = (folder: string) => fileURLToPath(new URL(`../${folder}/`, import.meta.url));

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
    },
  };
}

/** Builds the Koa app: middleware in order, routers mounted. Never listens, never reads process.env. */
export function createApp(deps: Deps): Koa {
  const { config } = deps;
  const auth = authDepsOf(deps);
  // Behind the one proxy TRUST_PROXY vouches for, only the address it appended (the last one in
  // X-Forwarded-For) is true: anything to its left was written by the client and is spoofable.
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.keys = [...config.sessionKeys];
  // Errors are answered and logged by handleErrors; Koa's own printer would log them twice.
  app.silent = true;

  koaEjs(app, { root: root('views'), layout: 'layout', viewExt: 'ejs', cache: config.isProduction });

  app.use(logRequests(deps.log));
  app.use(handleErrors(deps.log));
  app.use(securityHeaders({ https: config.secureCookies }));
  // koa-static stats the disk on every GET, and on /api/users/me that stat cost about as much as
  // writing the answer (bench CPU profile); only paths of files public/ holds are looked up.
  const assets = serveStatic(root('public'), { maxage: config.isProduction ? 3_600_000 : 0 });
  const assetPaths = new Set(
    readdirSync(root('public'), { recursive: true }).map(
      (name) => `/${String(name).split(path.sep).join('/')}`,
    ),
  );
  app.use(async function serveAssets(ctx, next) {
    if (assetPaths.has(ctx.path)) return assets(ctx, next);
    await next();
  });
  app.use(async function markSecureCookies(ctx, next) {
    // APP_URL is https: the browser sees https even when a proxy speaks http to us.
    if (config.secureCookies) ctx.cookies.secure = true;
    await next();
  });
  app.use(
    session(
      {
        key: config.secureCookies ? '__Host-session' : 'session',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.secureCookies,
        signed: true,
        maxAge: 'session',
        renew: false,
        rolling: false,
      },
      app,
    ),
  );
  app.use(parseBodies());
  app.use(protectForms());
  app.use(resolveAccessToken(auth));
  // Before every router, so no path variant of a login or reset route can skip it (RATE_LIMITS=off: load tests).
  if (config.rateLimits) app.use(throttleAuth({ users: deps.store }));
  app.use(async function pageLocals(ctx, next) {
    const current = authOf(ctx);
    ctx.state.currentUser = current ? { email: current.user.email } : null;
    ctx.state.devOutbox = Boolean(deps.outbox) && !config.isProduction;
    await next();
  });

  // The JSON API before the pages, so /api paths always answer in LoopBack's envelope.
  const api = createApiRouter(auth);
  const apiMethodCheck = answerUnsupportedMethods(api);
  app.use(api.routes());
  app.use(async function apiMethods(ctx, next) {
    return wantsJson(ctx) ? apiMethodCheck(ctx, next) : next();
  });
  if (config.apiExplorer) app.use(serveExplorer());

  const pages = createPageRouter(deps, auth);
  app.use(pages.routes()).use(answerUnsupportedMethods(pages));
  return app;
}
