import { readdirSync } from 'node:fs';
import path from 'node:path';
import koaEjs from '@koa/ejs';
import Router from '@koa/router';
import Koa from 'koa';
import session from 'koa-session';
import serveStatic from 'koa-static';
import type { AuthDeps } from '../auth/types.js';
import type { Deps } from '../deps.js';
import { authOf, resolveAccessToken } from '../middleware/access-token.js';
import { parseFormBodies } from '../middleware/body.js';
import { protectForms } from '../middleware/csrf.js';
import { handlePageErrors } from '../middleware/errors.js';
import { showFlash } from '../middleware/flash.js';
import { loopbackOnly } from '../middleware/loopback-only.js';
import { throttlePages } from '../middleware/rate-limit.js';
import { securityHeaders } from '../middleware/security-headers.js';
import { answerUnsupportedMethods } from '../middleware/unsupported-methods.js';
import { projectPath } from '../project-paths.js';
import { accountActivityRoutes } from './account-activity.js';
import { accountDeleteRoutes } from './account-delete.js';
import { accountEmailRoutes } from './account-email.js';
import { accountSessionRoutes } from './account-sessions.js';
import { utilityRoutes } from './dev.js';
import { devOutboxRoutes } from './dev-outbox.js';
import { emailChangeRoutes } from './email-change.js';
import { oidcPageLocals, oidcRoutes } from './oidc.js';
import { oidcConnectionRoutes } from './oidc-connections.js';
import { passkeyRoutes } from './passkeys.js';
import { passwordChangeRoutes } from './password-change.js';
import { passwordHelpRoutes } from './password-help.js';
import { passwordResetRoutes } from './password-reset.js';
import { noticeEndedSession } from './session-ended.js';
import { sessionRoutes } from './sessions.js';
import { signUpRoutes } from './sign-up.js';
import { twoFactorRoutes } from './two-factor.js';
import { verifyRoutes } from './verify.js';

const root = (folder: string) => `${projectPath(folder)}/`;

/**
 * The HTML pages, one router per flow. Each route reads its form (boot/forms/), calls one function
 * of auth/, and renders a view with plain values or redirects with 303. No rule lives here.
 */
export function createPageRouter(deps: Deps, auth: AuthDeps): Router {
  const router = new Router();
  const pageDeps = { deps, auth };
  for (const flow of [
    sessionRoutes,
    signUpRoutes,
    verifyRoutes,
    emailChangeRoutes,
    // Issue 14: the account's security centre.
    accountSessionRoutes,
    accountActivityRoutes,
    accountEmailRoutes,
    accountDeleteRoutes,
    passwordResetRoutes,
    passwordChangeRoutes,
    passwordHelpRoutes,
    twoFactorRoutes,
    passkeyRoutes,
    oidcRoutes,
    oidcConnectionRoutes,
    devOutboxRoutes,
    utilityRoutes,
  ]) {
    const routes = flow(pageDeps);
    router.use(routes.routes());
  }
  return router;
}

/**
 * The pages as a Koa app of their own, with its own error page, form body parser, CSRF check and
 * session, so nothing has to guess whether a request is a page or an API call. app.ts mounts it
 * beside the API; it is complete on its own (keys, views, static files), so it can be served by
 * `callback()` directly.
 */
export function createPagesApp(deps: Deps, auth: AuthDeps): Koa {
  const { config } = deps;
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  app.keys = [...config.sessionKeys];
  // Errors are answered and logged by handlePageErrors; Koa's own printer would log them twice.
  app.silent = true;
  koaEjs(app, { root: root('views'), layout: 'layout', viewExt: 'ejs', cache: config.isProduction });

  app.use(handlePageErrors(deps.log));
  app.use(securityHeaders({ https: config.secureCookies }));
  app.use(serveAssets(config.isProduction));
  // Every reset link is listed there: this machine only (issue 10.7).
  app.use(loopbackOnly('/dev/outbox'));
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
  app.use(showFlash());
  app.use(parseFormBodies());
  app.use(protectForms());
  // On the reset page the query token is a reset token, never a login: the route reads it.
  app.use(resolveAccessToken(auth, { leaveQueryToken: (ctx) => ctx.path === '/reset-password' }));
  app.use(noticeEndedSession());
  // The limiter app.ts shares with the API (absent with RATE_LIMITS=off).
  if (deps.limiter) app.use(throttlePages(deps.limiter));
  app.use(async function pageLocals(ctx, next) {
    const current = authOf(ctx);
    ctx.state.currentUser = current ? { email: current.user.email } : null;
    // Every page a logged-in browser gets names the account (the header): none may be kept, so the
    // back button after log-out never shows one. Set first, so error pages carry it too.
    if (current) ctx.set('Cache-Control', 'no-store');
    ctx.state.devOutbox = Boolean(deps.outbox) && !config.isProduction;
    ctx.state.apiExplorer = config.apiExplorer;
    await next();
  });
  // Issue 16: the "Continue with" buttons' providers.
  app.use(oidcPageLocals(deps));
  const pages = createPageRouter(deps, auth);
  app.use(pages.routes()).use(answerUnsupportedMethods(pages));
  return app;
}

/**
 * koa-static stats the disk on every GET; only paths of files public/ holds are looked up (the
 * bench CPU profile showed the stat costing as much as the answer).
 */
function serveAssets(production: boolean): Koa.Middleware {
  const assets = serveStatic(root('public'), { maxage: production ? 3_600_000 : 0 });
  const assetPaths = new Set(
    readdirSync(root('public'), { recursive: true }).map(
      (name) => `/${String(name).split(path.sep).join('/')}`,
    ),
  );
  return async function serveAssets(ctx, next) {
    if (assetPaths.has(ctx.path)) return assets(ctx, next);
    await next();
  };
}
