import Router from '@koa/router';
import type { Context } from 'koa';
import { logOut } from '../auth/sessions.js';
import {
  type ConfirmationLink,
  confirmEmail,
  inspectConfirmationLink,
  isAccountVerified,
  logInWithConfirmationLink,
} from '../auth/verification.js';
import { authOf } from '../middleware/access-token.js';
import { FLASH, setFlash, takeFlashIf } from '../middleware/flash.js';
import { startPageSession } from '../middleware/page-session.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { pageClient, rememberAccount } from './account-device.js';
import { hasCode, readBody, readForm } from './forms/form.js';
import { confirmForm, userIdOf, verifyLoginForm, verifyMessages, verifyQuery } from './forms/verify.js';
import { noStore, type PageDeps, redirectTo, renderRefusal } from './render.js';

const renderInvalidLink = (ctx: Context) =>
  renderRefusal(ctx, 400, {
    heading: 'This verification link is invalid or has expired',
    message: 'Log in to have a new verification link sent, or sign up again.',
    link: { href: '/', text: 'Back to log in' },
  });

// A spent link is gone from the store, so which change it was for is unknown: the words hold for
// a verification opened twice and for an email change that was confirmed or cancelled.
const renderAlreadyVerified = (ctx: Context) =>
  renderRefusal(ctx, 400, {
    heading: 'Your email address is already verified',
    message: 'This link has been used, so there is nothing left to confirm. You can log in as usual.',
    link: authOf(ctx) ? { href: '/home', text: 'Go to your account' } : { href: '/', text: 'Log in' },
  });

/**
 * The emailed verification link. Opening it (GET or HEAD) changes nothing, because mail scanners
 * open links; the address is verified only by a person who proves mailbox and account in one
 * browser: the button of a browser logged in as the account, or the account's password typed here.
 */
export function verifyRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  /** The link the fields name, read without changing anything; null when bad. */
  const linkOf = async (fields: { uid: string; token: string }) => {
    const userId = userIdOf(fields.uid);
    return userId === null || !fields.token ? null : inspectConfirmationLink(auth, userId, fields.token);
  };

  const showPage = async (
    ctx: Context,
    fields: { uid: string; token: string },
    link: ConfirmationLink,
    error = '',
  ) => {
    noStore(ctx);
    const current = authOf(ctx);
    await ctx.render('verify', {
      title: error ? 'Error: Confirm your email' : 'Confirm your email',
      mode: current?.user.id === link.user.id ? 'confirm' : 'login',
      uid: fields.uid,
      token: fields.token,
      // The address being confirmed (a pending new one for an email change) and the one to log in with.
      email: link.email,
      loginEmail: link.user.email,
      error,
    });
  };

  router.get('/verify', async (ctx) => {
    const query = readForm(verifyQuery, { uid: ctx.query.uid, token: ctx.query.token });
    const link = await linkOf(query);
    if (!link) {
      // The link was used already (the email opened a second time): say it is done.
      const userId = userIdOf(query.uid);
      if (userId !== null && (await isAccountVerified(auth, userId))) return renderAlreadyVerified(ctx);
      return renderInvalidLink(ctx);
    }
    await showPage(ctx, query, link);
  });

  router.post('/verify', async (ctx) => {
    const form = readBody(confirmForm, ctx);
    const link = await linkOf(form);
    if (!link) return renderInvalidLink(ctx);
    const current = authOf(ctx);
    // Only a browser logged in as the link's account may confirm with a button.
    if (current?.user.id !== link.user.id) {
      ctx.status = 401;
      return showPage(ctx, form, link);
    }
    try {
      await confirmEmail(auth, current.user, link.user.id, form.token, pageClient(ctx));
    } catch (error) {
      if (hasCode(error, 'INVALID_TOKEN', 'VALIDATION_ERROR')) return renderInvalidLink(ctx);
      throw error;
    }
    setFlash(ctx, FLASH.emailVerified);
    redirectTo(ctx, '/verified');
  });

  router.post('/verify/login', async (ctx) => {
    const form = readBody(verifyLoginForm, ctx);
    const link = await linkOf(form);
    if (!link) return renderInvalidLink(ctx);
    if (!form.password) {
      reportAttempt(ctx, 'not-counted');
      ctx.status = 400;
      return showPage(ctx, form, link, verifyMessages.missingPassword);
    }
    try {
      const result = await logInWithConfirmationLink(auth, {
        userId: link.user.id,
        token: form.token,
        password: form.password,
        client: pageClient(ctx),
      });
      reportAttempt(ctx, 'success');
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      startPageSession(ctx, result.secret, {
        remember: form.remember === 'on',
        ttlSeconds: result.token.ttl,
      });
      // The link proved the mailbox, so the owner is here: remembered, with no "new sign-in" notice.
      rememberAccount(ctx, result.user.id);
    } catch (error) {
      if (hasCode(error, 'LOGIN_FAILED')) {
        reportAttempt(ctx, 'failure');
        ctx.status = 401;
        return showPage(ctx, form, link, verifyMessages.failed);
      }
      if (hasCode(error, 'INVALID_TOKEN', 'VALIDATION_ERROR')) return renderInvalidLink(ctx);
      throw error;
    }
    setFlash(ctx, FLASH.emailVerified);
    redirectTo(ctx, '/verified');
  });

  // The page after a verification; the flash set there says it just happened. Opened any other
  // time (a bookmark, a reload) it has nothing to announce: home when logged in, else the forms.
  router.get('/verified', async (ctx) => {
    noStore(ctx);
    const current = authOf(ctx);
    if (!takeFlashIf(ctx, FLASH.emailVerified)) return redirectTo(ctx, current ? '/home' : '/');
    await ctx.render('verified', { title: 'Email verified', loggedIn: current !== null });
  });

  return router;
}
