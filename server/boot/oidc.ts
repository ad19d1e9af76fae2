import Router from '@koa/router';
import type { Middleware } from 'koa';
import { AuthError } from '../auth/errors.js';
import { linkToAccount, signInWithIdentity } from '../auth/identities.js';
import { logOut } from '../auth/sessions.js';
import type { Deps, OidcProviders } from '../deps.js';
import { authOf } from '../middleware/access-token.js';
import { startPageSession } from '../middleware/page-session.js';
import { safeRedirectPath } from '../middleware/safe-redirect.js';
import { noteBrowserSignIn } from './account-device.js';
import { renderOidcFailure } from './oidc-pages.js';
import { clientOf, holdFlow, holdPendingLink, takeFlow } from './oidc-session.js';
import { noStore, type PageDeps, redirectTo } from './render.js';
import { holdSecondStep } from './two-factor-session.js';

/**
 * Issue 16: "Continue with NAME". `GET /auth/:id` sends the browser to the provider with a fresh
 * state, nonce and PKCE verifier kept in its page session; `GET /auth/:id/callback` checks the
 * answer against them (server/oidc) and lets auth/identities.ts decide who logs in. Every failure
 * is a page with a way back.
 */

/** The configured providers, or null when provider log-in is off (no OIDC_PROVIDERS). */
export function oidcProvidersOf(deps: Deps): OidcProviders | null {
  return deps.oidc && deps.oidc.list().length > 0 ? deps.oidc : null;
}

/** The providers for the "Continue with" buttons (views/partials/oidc-buttons.ejs), on every page. */
export function oidcPageLocals(deps: Deps): Middleware {
  const providers = oidcProvidersOf(deps);
  return async function oidcPageLocals(ctx, next) {
    ctx.state.oidcProviders = providers ? providers.list() : [];
    await next();
  };
}

const connectionsPage = { href: '/account/connections', text: 'Back to your connections' };

export function oidcRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const providers = oidcProvidersOf(deps);
  if (!providers) return router;
  const secure = deps.config.secureCookies;

  router.get('/auth/:id', async (ctx) => {
    const provider = providers.find(ctx.params.id ?? '');
    if (!provider) return renderOidcFailure(ctx, 'OIDC_UNKNOWN_PROVIDER', 'that provider');
    const started = await providers.begin(provider.id);
    if (!started.ok) return renderOidcFailure(ctx, started.code, provider.name);
    holdFlow(ctx, started.flow, { mode: 'login', next: safeRedirectPath(ctx.query.next) ?? '' });
    noStore(ctx);
    ctx.redirect(started.url);
  });

  router.get('/auth/:id/callback', async (ctx) => {
    const provider = providers.find(ctx.params.id ?? '');
    if (!provider) return renderOidcFailure(ctx, 'OIDC_UNKNOWN_PROVIDER', 'that provider');
    // Taken out first: whatever happens next, this flow cannot be answered twice (a replay).
    const flow = takeFlow(ctx);
    if (!flow) return renderOidcFailure(ctx, 'OIDC_NO_FLOW', provider.name);
    const back = flow.mode === 'link' ? connectionsPage : undefined;
    const answer = await providers.complete(provider.id, flow, ctx.querystring);
    if (!answer.ok) return renderOidcFailure(ctx, answer.code, provider.name, back);
    const client = clientOf(ctx);
    try {
      if (flow.mode === 'link') {
        // Linking needs the account that pressed "Connect" to be the one logged in now.
        const current = authOf(ctx);
        if (!current || current.user.id !== flow.userId)
          return renderOidcFailure(ctx, 'OIDC_NOT_LOGGED_IN', provider.name, back);
        const { already } = await linkToAccount(auth, current.user, provider.id, answer.identity, client);
        return redirectTo(ctx, `/account/connections?${already ? 'already' : 'linked'}=${provider.id}`);
      }
      const result = await signInWithIdentity(auth, provider.id, answer.identity, client);
      if (result.outcome === 'link-required') {
        holdPendingLink(ctx, result.ticket, secure);
        noStore(ctx);
        return ctx.render('oidc-link', {
          title: `Log in to connect ${provider.name}`,
          mode: 'log-in-first',
          providerName: provider.name,
          email: result.email,
          next: '/account/connections/confirm',
          // The other providers may already be linked to that account; this one is not.
          oidcProviders: providers.list().filter((each) => each.id !== provider.id),
        });
      }
      if (result.outcome === 'second-step') {
        holdSecondStep(ctx, { ticket: result.secondStep.ticket, wrong: 0, remember: false, next: flow.next });
        return redirectTo(ctx, '/login/two-factor');
      }
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      startPageSession(ctx, result.session.secret, { remember: false, ttlSeconds: result.session.token.ttl });
      // Issue 14: a browser new to this account gets its owner told ("a new sign-in").
      await noteBrowserSignIn(ctx, auth, result.session.user);
      redirectTo(ctx, flow.next || '/home');
    } catch (error) {
      if (
        error instanceof AuthError &&
        (error.code === 'IDENTITY_EMAIL_UNVERIFIED' ||
          error.code === 'IDENTITY_TAKEN' ||
          error.code === 'LOGIN_FAILED' ||
          error.code === 'LOGIN_FAILED_EMAIL_NOT_VERIFIED')
      )
        return renderOidcFailure(ctx, error.code, provider.name, back);
      throw error;
    }
  });

  return router;
}
