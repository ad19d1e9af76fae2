import Router from '@koa/router';
import type { Context } from 'koa';
import * as z from 'zod';
import { deleteAccount } from '../auth/account.js';
import { setFlash } from '../middleware/flash.js';
import { endPageSession } from '../middleware/page-session.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { pageClient } from './account-device.js';
import { hasCode, readBody, text } from './forms/form.js';
import { noStore, type PageDeps, redirectTo, renderForm, requireLogin } from './render.js';

const deleteForm = z.object({ currentPassword: text(1024) });

const messages = {
  missingPassword: 'Enter your current password to delete the account.',
  wrongPassword: 'The current password is not right.',
} as const;

/**
 * Issue 14.5: deleting the account on the pages. The page always asks for the current password
 * (a browser left logged in is not enough to end an account), then everything goes but the
 * "your account was deleted" email.
 */
export function accountDeleteRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  const showForm = async (ctx: Context, email: string, status: number, errors: Record<string, string>) => {
    ctx.status = status;
    noStore(ctx);
    await renderForm(ctx, 'account-delete', 'Delete your account', errors, { email });
  };

  router.get('/account/delete', async (ctx) => {
    const current = requireLogin(ctx, '/account/delete');
    if (!current) return;
    await showForm(ctx, current.user.email, 200, {});
  });

  router.post('/account/delete', async (ctx) => {
    const current = requireLogin(ctx, '/account/delete');
    if (!current) return;
    const form = readBody(deleteForm, ctx);
    reportAttempt(ctx, 'not-counted');
    if (!form.currentPassword)
      return showForm(ctx, current.user.email, 400, { currentPassword: messages.missingPassword });
    try {
      await deleteAccount(auth, current, { currentPassword: form.currentPassword }, pageClient(ctx));
    } catch (error) {
      if (!hasCode(error, 'REAUTHENTICATION_REQUIRED')) throw error;
      reportAttempt(ctx, 'failure');
      return showForm(ctx, current.user.email, 401, { currentPassword: messages.wrongPassword });
    }
    reportAttempt(ctx, 'success');
    endPageSession(ctx);
    setFlash(ctx, `Your account is deleted. A last email went to ${current.user.email}.`);
    redirectTo(ctx, '/');
  });

  return router;
}
