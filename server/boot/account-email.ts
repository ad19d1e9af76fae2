import Router from '@koa/router';
import type { Context } from 'koa';
import * as z from 'zod';
import { updateProfile } from '../auth/account.js';
import { resendEmailChange } from '../auth/account-centre.js';
import type { Authenticated } from '../auth/types.js';
import { setFlash } from '../middleware/flash.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { pageClient } from './account-device.js';
import { hasCode, isValidationError, readBody, text } from './forms/form.js';
import { noStore, type PageDeps, redirectTo, renderForm, requireLogin } from './render.js';

const changeForm = z.object({ email: text(1024), currentPassword: text(1024) });

const messages = {
  missingEmail: 'Enter the new email address.',
  invalidEmail: 'Enter a valid email address, like name@example.com.',
  sameEmail: 'That is already your email address.',
  missingPassword: 'Enter your current password.',
  wrongPassword: 'The current password is not right.',
} as const;

/**
 * Issue 14.4: the email change on the pages, on issue 10's rules (the domain's updateProfile):
 * the current password, the new address pending until its own link is followed, the old address
 * told with a cancel link, a taken address answered as a free one.
 */
export function accountEmailRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  const showForm = async (
    ctx: Context,
    current: Authenticated,
    status: number,
    errors: Record<string, string>,
    email = '',
  ) => {
    ctx.status = status;
    noStore(ctx);
    await renderForm(ctx, 'account-email', 'Change your email', errors, {
      email: current.user.email,
      pendingEmail: current.user.pendingEmail ?? '',
      values: { email },
    });
  };

  router.get('/account/email', async (ctx) => {
    const current = requireLogin(ctx, '/account/email');
    if (!current) return;
    await showForm(ctx, current, 200, {});
  });

  router.post('/account/email', async (ctx) => {
    const current = requireLogin(ctx, '/account/email');
    if (!current) return;
    const form = readBody(changeForm, ctx);
    const email = form.email.trim();
    // Only a check of the current password counts toward the throttle; a form mistake does not.
    reportAttempt(ctx, 'not-counted');
    if (!email) return showForm(ctx, current, 400, { email: messages.missingEmail }, email);
    if (!form.currentPassword)
      return showForm(ctx, current, 400, { currentPassword: messages.missingPassword }, email);
    let pending: string | null;
    try {
      const updated = await updateProfile(
        auth,
        current,
        { email, currentPassword: form.currentPassword },
        pageClient(ctx),
      );
      pending = updated.pendingEmail;
    } catch (error) {
      if (hasCode(error, 'REAUTHENTICATION_REQUIRED')) {
        reportAttempt(ctx, 'failure');
        return showForm(ctx, current, 401, { currentPassword: messages.wrongPassword }, email);
      }
      if (isValidationError(error))
        return showForm(ctx, current, 422, { email: messages.invalidEmail }, email);
      throw error;
    }
    reportAttempt(ctx, 'success');
    setFlash(
      ctx,
      pending
        ? `Check ${pending} for a link to confirm it. Until then your address stays ${current.user.email}.`
        : `Your email address stays ${current.user.email}; no change is pending.`,
    );
    redirectTo(ctx, '/account/email');
  });

  router.post('/account/email/resend', async (ctx) => {
    const current = requireLogin(ctx, '/account/email');
    if (!current) return;
    const sent = await resendEmailChange(auth, current.user);
    setFlash(
      ctx,
      sent && current.user.pendingEmail
        ? `A new confirmation link is on its way to ${current.user.pendingEmail}.`
        : 'No email change is pending.',
    );
    redirectTo(ctx, '/account/email');
  });

  router.post('/account/email/cancel-change', async (ctx) => {
    const current = requireLogin(ctx, '/account/email');
    if (!current) return;
    // Asking for the current address again ends the pending change (and spends its links).
    if (current.user.pendingEmail)
      await updateProfile(auth, current, { email: current.user.email }, pageClient(ctx));
    setFlash(ctx, `Email change cancelled. Your address stays ${current.user.email}.`);
    redirectTo(ctx, '/account/email');
  });

  return router;
}
