import Router from '@koa/router';
import type { Context } from 'koa';
import { changePassword } from '../auth/password-change.js';
import { FLASH } from '../middleware/flash.js';
import { pageSessionRemembered, startPageSession } from '../middleware/page-session.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { pageClient } from './account-device.js';
import { hasCode, isValidationError, readBody } from './forms/form.js';
import { changeErrors, changeForm, changeMessages } from './forms/password-change.js';
import { noStore, type PageDeps, renderForm, requireLogin } from './render.js';

/** A logged-in person changes the password; every other session of theirs ends. */
export function passwordChangeRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const minLength = deps.config.passwordMinLength;
  const showForm = async (ctx: Context, status: number, errors: Record<string, string>) => {
    ctx.status = status;
    await renderForm(ctx, 'change-password', 'Change password', errors, {
      passwordMinLength: minLength,
    });
  };

  router.get('/change-password', async (ctx) => {
    if (!requireLogin(ctx, '/change-password')) return;
    noStore(ctx);
    await showForm(ctx, 200, {});
  });

  router.post('/change-password', async (ctx) => {
    const current = requireLogin(ctx, '/change-password');
    if (!current) return;
    noStore(ctx);
    const form = readBody(changeForm, ctx);
    // Only a check of the current password counts toward the throttle; a form mistake does not.
    reportAttempt(ctx, 'not-counted');
    if (!form.oldPassword) return showForm(ctx, 400, { oldPassword: changeMessages.missingOld });
    // Checked before the current password: it needs no secret, and a "change" to the same
    // password would end every other session for nothing.
    if (form.newPassword && form.newPassword === form.oldPassword)
      return showForm(ctx, 422, { newPassword: changeMessages.unchanged });
    if (form.newPassword !== form.confirmation)
      return showForm(ctx, 422, { confirmation: changeMessages.mismatch });
    try {
      const inBrowserSession = current.transport === 'session';
      const { session } = await changePassword(
        auth,
        current.user,
        form.oldPassword,
        form.newPassword,
        inBrowserSession ? { rotate: current.token } : { keep: current.token },
        pageClient(ctx),
      );
      // A fresh session for this browser; every other token of the user is gone.
      if (session) {
        const remember = pageSessionRemembered(ctx);
        startPageSession(ctx, session.secret, { remember, ttlSeconds: session.token.ttl });
      }
    } catch (error) {
      if (hasCode(error, 'INVALID_PASSWORD')) {
        reportAttempt(ctx, 'failure');
        return showForm(ctx, 400, { oldPassword: changeMessages.wrongOld });
      }
      if (isValidationError(error)) return showForm(ctx, 422, changeErrors(error, minLength));
      throw error;
    }
    reportAttempt(ctx, 'success');
    // Rendered here rather than after a redirect: the message is about this very form.
    ctx.state.flash = FLASH.passwordChanged;
    await showForm(ctx, 200, {});
  });

  return router;
}
