import Router from '@koa/router';
import type { Context } from 'koa';
import { cancelEmailChange } from '../auth/account.js';
import { pageClient } from './account-device.js';
import { hasCode, readBody, readForm } from './forms/form.js';
import { confirmForm, userIdOf, verifyQuery } from './forms/verify.js';
import { noStore, type PageDeps, renderRefusal, renderResponse } from './render.js';

const renderInvalidLink = (ctx: Context) =>
  renderRefusal(ctx, 400, {
    heading: 'This link is invalid or has expired',
    message: 'The email change may already be confirmed or cancelled. Log in to see your account.',
    link: { href: '/', text: 'Back to log in' },
  });

/**
 * The link the old address gets when someone changes the account's email: opening it (GET or HEAD)
 * changes nothing, because mail scanners open links; the button on its page cancels the change.
 * The link alone proves the old mailbox, which is all a cancel needs (it only undoes).
 */
export function emailChangeRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  router.get('/account/email/cancel', async (ctx) => {
    noStore(ctx);
    const query = readForm(verifyQuery, { uid: ctx.query.uid, token: ctx.query.token });
    if (userIdOf(query.uid) === null || !query.token) return renderInvalidLink(ctx);
    await ctx.render('email-cancel', {
      title: 'Cancel the email change',
      uid: query.uid,
      token: query.token,
    });
  });

  router.post('/account/email/cancel', async (ctx) => {
    const form = readBody(confirmForm, ctx);
    const userId = userIdOf(form.uid);
    if (userId === null) return renderInvalidLink(ctx);
    try {
      await cancelEmailChange(auth, userId, form.token, pageClient(ctx));
    } catch (error) {
      if (hasCode(error, 'INVALID_TOKEN')) return renderInvalidLink(ctx);
      throw error;
    }
    await renderResponse(ctx, {
      title: 'Email change cancelled',
      heading: 'Email change cancelled',
      message:
        'Your account keeps its email address. If you did not ask for the change, reset your password: someone may know it.',
      link: { href: '/?forgot=#forgot-heading', text: 'Reset your password' },
    });
  });

  return router;
}
