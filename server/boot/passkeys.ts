import Router from '@koa/router';
import type { Context } from 'koa';
import { passkeyAuthenticationOptions } from '../auth/passkeys.js';
import { logOut } from '../auth/sessions.js';
import { twoFactorSummary } from '../auth/two-factor.js';
import { logInWithPasskey } from '../auth/two-factor-login.js';
import { addPasskey, passkeyRegistrationFor, removePasskey } from '../auth/two-factor-passkeys.js';
import { authOf } from '../middleware/access-token.js';
import { startPageSession } from '../middleware/page-session.js';
import { noteBrowserSignIn, pageClient } from './account-device.js';
import { hasCode, readBody } from './forms/form.js';
import { passkeyForm, reauthForm, twoFactorMessages } from './forms/two-factor.js';
import { passkeyParty, reauthErrors } from './passkeys-party.js';
import { noStore, type PageDeps, renderForm, requireLogin } from './render.js';
import { jsonRefusal, parseJson } from './two-factor.js';
import { holdChallenge, takeChallenge } from './two-factor-session.js';

/** /account/passkeys (add with a name, list, remove) and "Log in with a passkey" (/login/passkey). */
export function passkeyRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();
  const rp = passkeyParty(deps);

  const showList = async (ctx: Context, status: number, errors: Record<string, string>, notice = '') => {
    const current = requireLogin(ctx, '/account/passkeys');
    if (!current) return;
    noStore(ctx);
    const summary = await twoFactorSummary(auth, current.user.id);
    ctx.status = status;
    await renderForm(ctx, 'account/passkeys', 'Passkeys', errors, {
      passkeys: summary.passkeys,
      totp: summary.totp,
      passkeysOn: rp !== null,
      notice,
    });
  };

  router.get('/account/passkeys', (ctx) =>
    showList(ctx, 200, {}, ctx.query.added === '1' ? 'Passkey added.' : ''),
  );

  router.post('/account/passkeys/options', async (ctx) => {
    const current = authOf(ctx);
    if (!current) return jsonRefusal(ctx, 401, 'Log in first.');
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    const form = readBody(passkeyForm, ctx);
    if (!form.name.trim() || form.name.trim().length > 60)
      return jsonRefusal(ctx, 422, twoFactorMessages.passkeyName);
    const { options, challenge } = await passkeyRegistrationFor(auth, rp, current.user);
    holdChallenge(ctx, 'register', challenge, auth.clock.now());
    ctx.body = options;
  });

  router.post('/account/passkeys', async (ctx) => {
    const current = authOf(ctx);
    if (!current) return jsonRefusal(ctx, 401, 'Log in first.');
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    const form = readBody(passkeyForm, ctx);
    const expectedChallenge = takeChallenge(ctx, 'register', auth.clock.now());
    try {
      await addPasskey(auth, rp, current.user, {
        name: form.name,
        response: parseJson(form.response),
        expectedChallenge,
      });
      ctx.body = { redirect: '/account/passkeys?added=1' };
    } catch (error) {
      if (hasCode(error, 'VALIDATION_ERROR')) return jsonRefusal(ctx, 422, twoFactorMessages.passkeyName);
      if (hasCode(error, 'PASSKEY_REJECTED')) return jsonRefusal(ctx, 400, twoFactorMessages.passkeyRejected);
      throw error;
    }
  });

  router.post('/account/passkeys/remove', async (ctx) => {
    const current = requireLogin(ctx, '/account/passkeys');
    if (!current) return;
    const form = readBody(reauthForm, ctx);
    if (!form.currentPassword)
      return showList(ctx, 400, { currentPassword: twoFactorMessages.missingPassword });
    try {
      await removePasskey(auth, current, form.credentialId, form);
    } catch (error) {
      if (hasCode(error, 'REAUTHENTICATION_REQUIRED')) return showList(ctx, 401, reauthErrors(error));
      if (hasCode(error, 'USER_NOT_FOUND'))
        return showList(ctx, 404, { form: 'That passkey is not on your account.' });
      throw error;
    }
    await showList(ctx, 200, {}, 'Passkey removed.');
  });

  // "Log in with a passkey" on the index page: any discoverable passkey of this site.
  router.post('/login/passkey/options', async (ctx) => {
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    const { options, challenge } = await passkeyAuthenticationOptions(rp);
    holdChallenge(ctx, 'login', challenge, auth.clock.now());
    ctx.body = options;
  });

  router.post('/login/passkey', async (ctx) => {
    if (!rp) return jsonRefusal(ctx, 404, twoFactorMessages.passkeysOff);
    const form = readBody(passkeyForm, ctx);
    const expectedChallenge = takeChallenge(ctx, 'login', auth.clock.now());
    try {
      const result = await logInWithPasskey(
        auth,
        rp,
        { response: parseJson(form.response), expectedChallenge },
        pageClient(ctx),
      );
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      startPageSession(ctx, result.secret, { remember: false, ttlSeconds: result.token.ttl });
      await noteBrowserSignIn(ctx, auth, result.user);
      ctx.body = { redirect: '/home' };
    } catch (error) {
      if (hasCode(error, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED'))
        return jsonRefusal(ctx, 401, twoFactorMessages.unverified);
      if (hasCode(error, 'PASSKEY_REJECTED')) return jsonRefusal(ctx, 401, twoFactorMessages.passkeyRejected);
      throw error;
    }
  });

  return router;
}
