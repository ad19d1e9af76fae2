import Router from '@koa/router';
import type { Context } from 'koa';
import { logOut } from '../auth/users.js';
import { authOf } from '../middleware/access-token.js';
import { startPageSession } from '../middleware/page-session.js';
import { hasCode, readBody, readForm } from './forms/form.js';
import { confirmForm, verifyLoginForm, verifyMessages, verifyQuery } from './forms/verify.js';
import { noStore, type PageDeps, redirectTo } from './render.js';
import { confirmEmailWithLink, inspectVerificationLink, logInWithVerificationLink } from './verification.js';

async function renderInvalidLink(ctx: Context): Promise<void> {
  ctx.status = 400;
  await ctx.render('error', {
    title: 'Invalid link',
    status: 400,
    heading: 'This verification link is invalid or has expired',
    message: 'Log in to have a new verification link sent, or sign up again.',
    link: { href: '/', text: 'Back to log in' },
  });
}

/**
 * The emailed verification link. Opening it (GET or HEAD) changes nothing, because mail scanners
 * open links; the address is verified only by a person who proves mailbox and account in one
 * browser: the button of a browser logged in as the account, or the account's password typed here.
 */
export function verifyRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  const showPage = async (
    ctx: Context,
    link: { uid: string; token: string; email: string },
    error?: string,
  ) => {
    noStore(ctx);
    const current = authOf(ctx);
    const signedIn = current !== null && String(current.user.id) === link.uid;
    await ctx.render('verify', {
      title: error ? 'Error: Confirm your email' : 'Confirm your email',
      mode: signedIn ? 'confirm' : 'login',
      uid: link.uid,
      token: link.token,
      email: link.email,
      error: error ?? '',
    });
  };

  router.get('/verify', async (ctx) => {
    const query = readForm(verifyQuery, { uid: ctx.query.uid, token: ctx.query.token });
    const proof =
      query.uid && query.token ? await inspectVerificationLink(auth, query.uid, query.token) : null;
    if (!proof) return renderInvalidLink(ctx);
    await showPage(ctx, { ...query, email: proof.user.email });
  });

  router.post('/verify', async (ctx) => {
    const form = readBody(confirmForm, ctx);
    const proof = await inspectVerificationLink(auth, form.uid, form.token);
    if (!proof) return renderInvalidLink(ctx);
    const current = authOf(ctx);
    // Only a browser logged in as the link's account may confirm with a button.
    if (!current || current.user.id !== proof.user.id) {
      ctx.status = 401;
      return showPage(ctx, { ...form, email: proof.user.email });
    }
    try {
      await confirmEmailWithLink(auth, form.uid, form.token);
    } catch (error) {
      if (hasCode(error, 'INVALID_TOKEN', 'USER_NOT_FOUND')) return renderInvalidLink(ctx);
      throw error;
    }
    redirectTo(ctx, '/verified');
  });

  router.post('/verify/login', async (ctx) => {
    const form = readBody(verifyLoginForm, ctx);
    const proof = await inspectVerificationLink(auth, form.uid, form.token);
    if (!proof) return renderInvalidLink(ctx);
    const link = { uid: form.uid, token: form.token, email: proof.user.email };
    if (!form.password) {
      ctx.status = 400;
      return showPage(ctx, link, verifyMessages.missingPassword);
    }
    try {
      const result = await logInWithVerificationLink(auth, {
        userId: form.uid,
        secret: form.token,
        password: form.password,
      });
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      startPageSession(ctx, result.secret, {
        remember: form.remember === 'on',
        ttlSeconds: result.token.ttl,
      });
    } catch (error) {
      if (hasCode(error, 'LOGIN_FAILED')) {
        ctx.status = 401;
        return showPage(ctx, link, verifyMessages.failed);
      }
      if (hasCode(error, 'INVALID_TOKEN', 'USER_NOT_FOUND')) return renderInvalidLink(ctx);
      throw error;
    }
    redirectTo(ctx, '/verified');
  });

  router.get('/verified', async (ctx) => {
    noStore(ctx);
    await ctx.render('verified', { title: 'Email verified', loggedIn: authOf(ctx) !== null });
  });

  return router;
}
