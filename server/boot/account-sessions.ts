import Router from '@koa/router';
import * as z from 'zod';
import { listSessions, revokeOtherSessions, revokeSession } from '../auth/account-centre.js';
import { originOf } from '../auth/notices.js';
import { setFlash } from '../middleware/flash.js';
import { endPageSession } from '../middleware/page-session.js';
import { pageClient } from './account-device.js';
import { readBody, text } from './forms/form.js';
import { noStore, type PageDeps, redirectTo, requireLogin } from './render.js';

const revokeForm = z.object({ id: text(64) });

/** Issue 14: every session of the account, with its device, and a way to end each. */
export function accountSessionRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  router.get('/account/sessions', async (ctx) => {
    const current = requireLogin(ctx, '/account/sessions');
    if (!current) return;
    noStore(ctx);
    const sessions = await listSessions(auth, current.user.id, current.token);
    await ctx.render('account-sessions', {
      title: 'Your sessions',
      sessions: sessions.map((session) => ({
        id: session.id,
        device: session.device ?? 'Unknown device',
        ip: session.ip ?? 'Unknown address',
        created: session.created,
        lastUsed: session.lastUsed,
        kind: session.session === 'browser' ? 'Browser' : 'API token',
        current: session.current,
      })),
      others: sessions.filter((session) => !session.current).length,
    });
  });

  router.post('/account/sessions/revoke', async (ctx) => {
    const current = requireLogin(ctx, '/account/sessions');
    if (!current) return;
    const form = readBody(revokeForm, ctx);
    const mine = (await listSessions(auth, current.user.id, current.token)).find((s) => s.id === form.id);
    if (!mine) {
      // Gone already (revoked elsewhere, expired): the list says so by no longer showing it.
      setFlash(ctx, 'That session had already ended.');
      return redirectTo(ctx, '/account/sessions');
    }
    await revokeSession(auth, current.user.id, form.id, originOf(pageClient(ctx)));
    if (mine.current) {
      // Logging out this very browser from its own row is a log-out.
      endPageSession(ctx);
      setFlash(ctx, 'You are logged out.');
      return redirectTo(ctx, '/');
    }
    setFlash(
      ctx,
      `Logged out the session on ${mine.device ?? 'an unknown device'}. It ends on its next request.`,
    );
    redirectTo(ctx, '/account/sessions');
  });

  router.post('/account/sessions/revoke-others', async (ctx) => {
    const current = requireLogin(ctx, '/account/sessions');
    if (!current) return;
    const count = await revokeOtherSessions(auth, current.user.id, current.token, originOf(pageClient(ctx)));
    setFlash(
      ctx,
      count === 0
        ? 'There were no other sessions.'
        : `Logged out ${count} other session${count === 1 ? '' : 's'}. This browser stays logged in.`,
    );
    redirectTo(ctx, '/account/sessions');
  });

  return router;
}
