import Router from '@koa/router';
import type { Context } from 'koa';
import * as z from 'zod';
import {
  completePendingLink,
  listConnections,
  openPendingLink,
  unlinkFromAccount,
} from '../auth/identities.js';
import { authOf, type RequestAuth } from '../middleware/access-token.js';
import { isCsrfTokenValid } from '../middleware/csrf.js';
import { hasCode, readBody, readForm, text } from './forms/form.js';
import { oidcProvidersOf } from './oidc.js';
import { renderOidcFailure } from './oidc-pages.js';
import { clientOf, dropPendingLink, holdFlow, pendingLinkTicket } from './oidc-session.js';
import { noStore, type PageDeps, redirectTo, renderForm, requireLogin } from './render.js';

/**
 * Issue 16: /account/connections lists the account's providers, connects another (the log-in
 * proves the account, so no email is involved) and disconnects one, never the last way to log in;
 * /account/connections/confirm finishes a "log in, then connect" the provider callback asked for.
 */

const linkQuery = z.object({ provider: text(40), _csrf: text(200) });
const unlinkForm = z.object({ issuer: text(2000), subject: text(300) });

const notices: Record<string, (name: string) => string> = {
  linked: (name) => `${name} is connected: you can log in with it now.`,
  already: (name) => `${name} was connected to your account already.`,
  unlinked: (name) => `${name} is disconnected.`,
};

export function oidcConnectionRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const providers = oidcProvidersOf(deps);
  if (!providers) return router;
  const secure = deps.config.secureCookies;
  const nameOf = (id: string) => providers.find(id)?.name ?? id;

  const showPage = async (
    ctx: Context,
    current: RequestAuth,
    status: number,
    errors: Record<string, string> = {},
    extra: { offerPassword?: boolean } = {},
  ) => {
    const { connections, hasPassword } = await listConnections(auth, current.user);
    const notice = Object.entries(notices)
      .map(([key, words]) => {
        const id = ctx.query[key];
        return typeof id === 'string' && providers.find(id) ? words(nameOf(id)) : '';
      })
      .find(Boolean);
    noStore(ctx);
    ctx.status = status;
    await renderForm(ctx, 'account-connections', 'Connected accounts', errors, {
      connections: connections.map((each) => ({ ...each, name: nameOf(each.providerId) })),
      providers: providers.list(),
      hasPassword,
      email: current.user.email,
      notice: notice ?? '',
      offerPassword: extra.offerPassword ?? false,
    });
  };

  router.get('/account/connections', async (ctx) => {
    const current = requireLogin(ctx, '/account/connections');
    if (current) await showPage(ctx, current, 200);
  });

  // A link, not a form: CSP's form-action 'self' stops a form's redirect to the provider. It still
  // carries the page's CSRF token, so another site cannot start linking in this person's session
  // (with a provider that can be logged into by another site, that would link the wrong identity).
  router.get('/account/connections/link', async (ctx) => {
    const current = requireLogin(ctx, '/account/connections');
    if (!current) return;
    const form = readForm(linkQuery, ctx.query);
    if (!isCsrfTokenValid(ctx, form._csrf))
      return showPage(ctx, current, 403, { form: 'That link has expired. Try again.' });
    const provider = providers.find(form.provider);
    if (!provider) return showPage(ctx, current, 404, { form: 'This site does not offer that provider.' });
    const started = await providers.begin(provider.id);
    if (!started.ok)
      return renderOidcFailure(ctx, started.code, provider.name, {
        href: '/account/connections',
        text: 'Back to your connections',
      });
    holdFlow(ctx, started.flow, { mode: 'link', next: '', userId: current.user.id });
    redirectTo(ctx, started.url);
  });

  router.post('/account/connections/unlink', async (ctx) => {
    const current = requireLogin(ctx, '/account/connections');
    if (!current) return;
    const form = readBody(unlinkForm, ctx);
    const connection = (await listConnections(auth, current.user)).connections.find(
      (each) => each.issuer === form.issuer && each.subject === form.subject,
    );
    try {
      await unlinkFromAccount(auth, current.user.id, form.issuer, form.subject, clientOf(ctx));
    } catch (error) {
      if (hasCode(error, 'LAST_SIGN_IN_METHOD'))
        return showPage(
          ctx,
          current,
          409,
          {
            form: `${nameOf(connection?.providerId ?? '')} is the only way to log in to this account. Set a password first, then disconnect it.`,
          },
          { offerPassword: true },
        );
      if (hasCode(error, 'USER_NOT_FOUND'))
        return showPage(ctx, current, 404, { form: 'That connection is not on your account.' });
      throw error;
    }
    redirectTo(ctx, `/account/connections?unlinked=${connection?.providerId ?? ''}`);
  });

  const pending = (ctx: Context, current: RequestAuth) => {
    const ticket = pendingLinkTicket(ctx, secure);
    if (!ticket) return null;
    try {
      return { ticket, link: openPendingLink(auth, ticket, current.user) };
    } catch (error) {
      if (hasCode(error, 'LINK_EXPIRED')) return null;
      throw error;
    }
  };
  const backToConnections = { href: '/account/connections', text: 'Go to your connections' };

  router.get('/account/connections/confirm', async (ctx) => {
    const current = requireLogin(ctx, '/account/connections/confirm');
    if (!current) return;
    const found = pending(ctx, current);
    if (!found) return renderOidcFailure(ctx, 'LINK_EXPIRED', '', backToConnections);
    noStore(ctx);
    await ctx.render('oidc-link', {
      title: `Connect ${nameOf(found.link.providerId)}`,
      mode: 'confirm',
      providerName: nameOf(found.link.providerId),
      providerEmail: found.link.email ?? '',
      email: current.user.email,
    });
  });

  router.post('/account/connections/confirm', async (ctx) => {
    const current = requireLogin(ctx, '/account/connections/confirm');
    if (!current) return;
    const found = pending(ctx, current);
    if (!found) return renderOidcFailure(ctx, 'LINK_EXPIRED', '', backToConnections);
    try {
      await completePendingLink(auth, found.ticket, current.user, clientOf(ctx));
    } catch (error) {
      if (hasCode(error, 'IDENTITY_TAKEN', 'LINK_EXPIRED')) {
        dropPendingLink(ctx, secure);
        return renderOidcFailure(
          ctx,
          error.code === 'LINK_EXPIRED' ? 'LINK_EXPIRED' : 'IDENTITY_TAKEN',
          nameOf(found.link.providerId),
          backToConnections,
        );
      }
      throw error;
    }
    dropPendingLink(ctx, secure);
    redirectTo(ctx, `/account/connections?linked=${found.link.providerId}`);
  });

  router.post('/account/connections/cancel', async (ctx) => {
    dropPendingLink(ctx, secure);
    redirectTo(ctx, authOf(ctx) ? '/account/connections' : '/');
  });

  return router;
}
