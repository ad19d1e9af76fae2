import Router from '@koa/router';
import type { Context } from 'koa';
import { requestPasswordReset, resetLinkEmail, resetPassword } from '../auth/password-reset.js';
import { endPageSession } from '../middleware/page-session.js';
import { clearLoginFailures } from '../middleware/rate-limit.js';
import { pageClient } from './account-device.js';
import { hasCode, isValidationError, readBody, readForm } from './forms/form.js';
import { resetErrors, resetForm, resetMessages, resetQuery } from './forms/password-reset.js';
import { emailForm, forgotMessages } from './forms/sign-up.js';
import { noStore, type PageDeps, renderForm, renderIndex, renderRefusal, renderResponse } from './render.js';

// An error page like every other (error.ejs), with the one next step: a new link.
async function renderInvalidResetLink(ctx: Context): Promise<void> {
  await renderRefusal(ctx, 401, {
    heading: 'This reset link is invalid or has expired',
    message: 'Reset links work once and only for a short time. Ask for a new one.',
    link: { href: '/?forgot=#forgot-heading', text: 'Ask for a new link' },
  });
}

/** Forgot password: ask for a link, open it, choose a new password. */
export function passwordResetRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const minLength = deps.config.passwordMinLength;
  const showForm = async (
    ctx: Context,
    accessToken: string,
    accountEmail: string,
    errors: Record<string, string> = {},
  ) => {
    await renderForm(ctx, 'password-reset', 'Choose a new password', errors, {
      accessToken,
      accountEmail,
      passwordMinLength: minLength,
    });
  };

  router.post('/request-password-reset', async (ctx) => {
    const form = readBody(emailForm, ctx);
    if (!form.email.trim()) {
      ctx.status = 400;
      await renderIndex(ctx, deps, { errors: { forgot: { email: forgotMessages.missingEmail } } });
      return;
    }
    await requestPasswordReset(auth, form.email);
    await renderResponse(ctx, {
      title: 'Check your email',
      heading: 'Check your email',
      message: 'Check your email for further instructions.',
      link: { href: '/', text: 'Back to log in' },
    });
  });

  router.get('/reset-password', async (ctx) => {
    noStore(ctx);
    const { access_token: token } = readForm(resetQuery, { access_token: ctx.query.access_token });
    // Showing the form never spends the link: mail scanners open links too.
    const accountEmail = await resetLinkEmail(auth, token);
    if (accountEmail === null) return renderInvalidResetLink(ctx);
    await showForm(ctx, token, accountEmail);
  });

  router.post('/reset-password', async (ctx) => {
    noStore(ctx);
    const form = readBody(resetForm, ctx);
    const accountEmail = await resetLinkEmail(auth, form.access_token);
    if (accountEmail === null) return renderInvalidResetLink(ctx);
    if (form.password !== form.confirmation) {
      ctx.status = 422;
      return showForm(ctx, form.access_token, accountEmail, { confirmation: resetMessages.mismatch });
    }
    try {
      const user = await resetPassword(auth, form.access_token, form.password, pageClient(ctx));
      // The owner proved the mailbox: their failed guesses are forgotten, so they get in at once.
      await clearLoginFailures(ctx, user.username ? [user.email, user.username] : [user.email]);
    } catch (error) {
      if (isValidationError(error)) {
        ctx.status = 422;
        return showForm(ctx, form.access_token, accountEmail, resetErrors(error, minLength));
      }
      if (hasCode(error, 'INVALID_TOKEN', 'AUTHORIZATION_REQUIRED', 'INVALID_RESET_TOKEN'))
        return renderInvalidResetLink(ctx);
      throw error;
    }
    endPageSession(ctx);
    await renderResponse(ctx, {
      title: 'Password reset',
      heading: 'Password reset success',
      message:
        'Your password has been changed and every session has been logged out. Log in with the new password.',
      link: { href: '/', text: 'Log in' },
    });
  });

  return router;
}
