import Router from '@koa/router';
import type { Context } from 'koa';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  openEnrolment,
  regenerateRecoveryCodes,
  turnOffTotp,
  twoFactorSummary,
} from '../auth/two-factor.js';
import { completeWithCode, completeWithPasskey, secondStepPasskeyOptions } from '../auth/two-factor-login.js';
import { startPageSession } from '../middleware/page-session.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { noteBrowserSignIn, pageClient } from './account-device.js';
import { hasCode, readBody } from './forms/form.js';
import {
  enrolForm,
  MAX_WRONG_CODES,
  passkeyForm,
  reauthForm,
  secondStepForm,
  twoFactorMessages,
} from './forms/two-factor.js';
import { passkeyParty, reauthErrors } from './passkeys-party.js';
import { qrCodeSvg } from './qr-svg.js';
import { noStore, type PageDeps, redirectTo, renderForm, requireLogin } from './render.js';
import {
  enrolmentSecret,
  holdChallenge,
  holdEnrolmentSecret,
  holdSecondStep,
  pendingSecondStep,
  takeChallenge,
} from './two-factor-session.js';

/** The name authenticator apps list the account under. */
export const TOTP_ISSUER = 'User management';

/** /account/two-factor (the authenticator app, recovery codes) and the sign-in's /login/two-factor. */
export function twoFactorRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const rp = passkeyParty(deps);

  const showAccount = async (ctx: Context, status: number, errors: Record<string, string>, extra = {}) => {
    const current = requireLogin(ctx, '/account/two-factor');
    if (!current) return;
    // The page shows a secret (or recovery codes): never kept by the browser or a proxy.
    noStore(ctx);
    const summary = await twoFactorSummary(auth, current.user.id);
    let enrolment = null;
    if (!summary.totp) {
      const held = enrolmentSecret(ctx);
      const opened = held ? safeOpen(() => openEnrolment(auth, current.user, held, TOTP_ISSUER)) : null;
      enrolment = opened ?? beginTotpEnrolment(auth, current.user, TOTP_ISSUER);
      holdEnrolmentSecret(ctx, enrolment.sealed);
    }
    ctx.status = status;
    await renderForm(ctx, 'account/two-factor', 'Two-factor sign-in', errors, {
      summary,
      secret: enrolment?.secret.replace(/(.{4})/g, '$1 ').trim() ?? '',
      qr: enrolment ? await qrCodeSvg(enrolment.uri, { label: 'QR code for your authenticator app' }) : '',
      recoveryCodes: null,
      passkeysOn: rp !== null,
      ...extra,
    });
  };

  router.get('/account/two-factor', (ctx) => showAccount(ctx, 200, {}));

  router.post('/account/two-factor/enable', async (ctx) => {
    const current = requireLogin(ctx, '/account/two-factor');
    if (!current) return;
    const form = readBody(enrolForm, ctx);
    const sealed = enrolmentSecret(ctx);
    if (!form.code.trim() || !sealed) return showAccount(ctx, 400, { code: twoFactorMessages.missingCode });
    try {
      const { recoveryCodes } = await confirmTotpEnrolment(auth, current.user, { sealed, code: form.code });
      holdEnrolmentSecret(ctx, null);
      noStore(ctx);
      await renderForm(
        ctx,
        'account/two-factor-codes',
        'Your recovery codes',
        {},
        { recoveryCodes, turnedOn: true },
      );
    } catch (error) {
      if (!hasCode(error, 'INVALID_CODE', 'MFA_EXPIRED')) throw error;
      if (error.code === 'MFA_EXPIRED') holdEnrolmentSecret(ctx, null);
      await showAccount(ctx, 400, { code: twoFactorMessages.enrolWrongCode });
    }
  });

  router.post('/account/two-factor/disable', async (ctx) => {
    const current = requireLogin(ctx, '/account/two-factor');
    if (!current) return;
    const form = readBody(reauthForm, ctx);
    if (!form.currentPassword)
      return showAccount(ctx, 400, { currentPassword: twoFactorMessages.missingPassword });
    try {
      await turnOffTotp(auth, current, form);
    } catch (error) {
      if (!hasCode(error, 'REAUTHENTICATION_REQUIRED')) throw error;
      return showAccount(ctx, 401, reauthErrors(error));
    }
    await showAccount(ctx, 200, {}, { notice: 'Two-factor sign-in with an authenticator app is off.' });
  });

  router.post('/account/two-factor/recovery-codes', async (ctx) => {
    const current = requireLogin(ctx, '/account/two-factor');
    if (!current) return;
    const form = readBody(reauthForm, ctx);
    if (!form.currentPassword)
      return showAccount(ctx, 400, { currentPassword: twoFactorMessages.missingPassword });
    try {
      const recoveryCodes = await regenerateRecoveryCodes(auth, current, form);
      noStore(ctx);
      await renderForm(
        ctx,
        'account/two-factor-codes',
        'Your recovery codes',
        {},
        { recoveryCodes, turnedOn: false },
      );
    } catch (error) {
      if (!hasCode(error, 'REAUTHENTICATION_REQUIRED')) throw error;
      await showAccount(ctx, 401, reauthErrors(error));
    }
  });

  // The second step of a sign-in: the password was right, the session is not issued yet.
  const showSecondStep = async (ctx: Context, status: number, errors: Record<string, string>) => {
    noStore(ctx);
    ctx.status = status;
    await renderForm(ctx, 'two-factor/login', 'Two-factor sign-in', errors, { passkeysOn: rp !== null });
  };

  const startAgain = async (ctx: Context) => {
    holdSecondStep(ctx, null);
    ctx.status = 401;
    await renderForm(ctx, 'two-factor/expired', 'Log in again', {}, { message: twoFactorMessages.expired });
  };

  router.get('/login/two-factor', async (ctx) => {
    if (!pendingSecondStep(ctx)) return redirectTo(ctx, '/');
    await showSecondStep(ctx, 200, {});
  });

  router.post('/login/two-factor', async (ctx) => {
    const pending = pendingSecondStep(ctx);
    const form = readBody(secondStepForm, ctx);
    if (!pending) {
      reportAttempt(ctx, 'not-counted');
      return startAgain(ctx);
    }
    if (!form.code.trim()) {
      reportAttempt(ctx, 'not-counted');
      return showSecondStep(ctx, 400, { code: twoFactorMessages.missingCode });
    }
    try {
      const result = await completeWithCode(auth, pending.ticket, form.code, pageClient(ctx));
      reportAttempt(ctx, 'success');
      startPageSession(ctx, result.secret, { remember: pending.remember, ttlSeconds: result.token.ttl });
      await noteBrowserSignIn(ctx, auth, result.user);
      redirectTo(ctx, pending.next || '/home');
    } catch (error) {
      if (!hasCode(error, 'INVALID_CODE', 'MFA_EXPIRED')) throw error;
      reportAttempt(ctx, error.code === 'INVALID_CODE' ? 'failure' : 'not-counted');
      const wrong = pending.wrong + 1;
      if (error.code === 'MFA_EXPIRED' || wrong >= MAX_WRONG_CODES) return startAgain(ctx);
      holdSecondStep(ctx, { ...pending, wrong });
      await showSecondStep(ctx, 401, { code: twoFactorMessages.wrongCode });
    }
  });

  router.post('/login/two-factor/passkey/options', async (ctx) => {
    const pending = pendingSecondStep(ctx);
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    if (!pending) return jsonRefusal(ctx, 401, twoFactorMessages.expired);
    try {
      const { options, challenge } = await secondStepPasskeyOptions(auth, rp, pending.ticket);
      holdChallenge(ctx, 'second-step', challenge, auth.clock.now());
      ctx.body = options;
    } catch (error) {
      if (!hasCode(error, 'MFA_EXPIRED')) throw error;
      holdSecondStep(ctx, null);
      jsonRefusal(ctx, 401, twoFactorMessages.expired);
    }
  });

  router.post('/login/two-factor/passkey', async (ctx) => {
    const pending = pendingSecondStep(ctx);
    const form = readBody(passkeyForm, ctx);
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    if (!pending) return jsonRefusal(ctx, 401, twoFactorMessages.expired);
    const expectedChallenge = takeChallenge(ctx, 'second-step', auth.clock.now());
    try {
      const result = await completeWithPasskey(
        auth,
        rp,
        pending.ticket,
        {
          response: parseJson(form.response),
          expectedChallenge,
        },
        pageClient(ctx),
      );
      startPageSession(ctx, result.secret, { remember: pending.remember, ttlSeconds: result.token.ttl });
      await noteBrowserSignIn(ctx, auth, result.user);
      ctx.body = { redirect: pending.next || '/home' };
    } catch (error) {
      if (!hasCode(error, 'PASSKEY_REJECTED', 'MFA_EXPIRED')) throw error;
      if (error.code === 'MFA_EXPIRED') holdSecondStep(ctx, null);
      jsonRefusal(
        ctx,
        401,
        error.code === 'MFA_EXPIRED' ? twoFactorMessages.expired : twoFactorMessages.passkeyRejected,
      );
    }
  });

  return router;
}

/** A passkey call's refusal: JSON with words the page shows in its status line. */
export function jsonRefusal(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.body = { message };
}

/** The browser's WebAuthn answer as sent (a JSON string); anything else is null (refused later). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function safeOpen<T>(open: () => T): T | null {
  try {
    return open();
  } catch {
    return null;
  }
}
