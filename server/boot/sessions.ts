import Router from '@koa/router';
import { logInSteps, logOut, logOutEverywhere } from '../auth/sessions.js';
import { identifierFields } from '../auth/sign-up.js';
import { authOf } from '../middleware/access-token.js';
import { FLASH, setFlash } from '../middleware/flash.js';
import { endPageSession, startPageSession } from '../middleware/page-session.js';
import { reportAttempt } from '../middleware/rate-limit.js';
import { safeRedirectPath } from '../middleware/safe-redirect.js';
import { noteBrowserSignIn, pageClient } from './account-device.js';
import { hasCode, readBody, readForm } from './forms/form.js';
import { indexQuery, loginForm, loginMessages, loginValues, missingLoginFields } from './forms/login.js';
import { noStore, type PageDeps, redirectTo, renderIndex } from './render.js';
import { holdSecondStep } from './two-factor-session.js';

/** Log in, home, log out, log out everywhere. */
export function sessionRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();

  router.get('/', async (ctx) => {
    const next = safeRedirectPath(ctx.query.next) ?? '';
    // Logged in already: the forms have nothing to offer; go where the person was heading. A link
    // to the reset form (`?forgot=`, from a 429 or a spent link) still shows it: it may be for
    // another account than this browser's.
    if (authOf(ctx) && ctx.query.forgot === undefined) return redirectTo(ctx, next || '/home');
    // `?forgot=EMAIL`: the log-in card's "Forgot password?" link carries the typed address here.
    const { forgot } = readForm(indexQuery, { forgot: ctx.query.forgot });
    // Sent here from a page that needs a login: say why (a waiting flash, if any, says more).
    if (next) ctx.state.flash = FLASH.logInToContinue;
    await renderIndex(ctx, deps, { next, values: { forgotEmail: forgot } });
  });

  router.post('/login', async (ctx) => {
    const form = readBody(loginForm, ctx);
    const next = safeRedirectPath(form.next) ?? '';
    const values = loginValues(form);
    const missing = missingLoginFields(form);
    if (missing) {
      // No password was checked: nothing for the throttle to count.
      reportAttempt(ctx, 'not-counted');
      ctx.status = 400;
      await renderIndex(ctx, deps, { values, errors: { login: missing }, next });
      return;
    }
    const identifier = form.email.trim();
    try {
      const step = await logInSteps(auth, {
        ...identifierFields(identifier),
        password: form.password,
        client: pageClient(ctx),
      });
      if ('secondStep' in step) {
        // Issue 17: the password was right; the session waits for the second factor. A right
        // password is not yet a success for the throttle, nor a wrong one a failure.
        reportAttempt(ctx, 'not-counted');
        holdSecondStep(ctx, { ticket: step.secondStep.ticket, wrong: 0, remember: values.remember, next });
        return redirectTo(ctx, '/login/two-factor');
      }
      const result = step.session;
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      reportAttempt(ctx, 'success');
      startPageSession(ctx, result.secret, { remember: values.remember, ttlSeconds: result.token.ttl });
      await noteBrowserSignIn(ctx, auth, result.user);
      redirectTo(ctx, next || '/home');
    } catch (error) {
      if (!hasCode(error, 'LOGIN_FAILED', 'LOGIN_FAILED_EMAIL_NOT_VERIFIED')) throw error;
      // The form itself again, with what was typed (never the password) and the message in its card.
      ctx.status = 401;
      const unverified = error.code === 'LOGIN_FAILED_EMAIL_NOT_VERIFIED';
      // An unverified account's password was right: no guess failed, but nobody logged in either.
      reportAttempt(ctx, unverified ? 'not-counted' : 'failure');
      await renderIndex(ctx, deps, {
        values,
        next,
        loginAlert: unverified
          ? { message: loginMessages.unverified, resendEmail: identifier }
          : { message: loginMessages.failed },
      });
    }
  });

  router.get('/home', async (ctx) => {
    const current = authOf(ctx);
    if (!current) return redirectTo(ctx, '/?next=/home');
    noStore(ctx);
    await ctx.render('home', {
      title: 'Home',
      email: current.user.email,
      username: current.user.username ?? '',
      emailVerified: current.user.emailVerified,
    });
  });

  router.get('/logout', async (ctx) => {
    noStore(ctx);
    // Not logged in (a bookmark, a second tab): nothing to log out of, and the page says so.
    await ctx.render('logout', { title: 'Log out', loggedIn: authOf(ctx) !== null });
  });

  router.post('/logout', async (ctx) => {
    const current = authOf(ctx);
    if (current) await logOut(auth, current.token, pageClient(ctx));
    endPageSession(ctx);
    if (current) setFlash(ctx, FLASH.loggedOut);
    redirectTo(ctx, '/');
  });

  router.post('/logout-all', async (ctx) => {
    const current = authOf(ctx);
    if (current) await logOutEverywhere(auth, current.user.id, pageClient(ctx));
    endPageSession(ctx);
    if (current) setFlash(ctx, FLASH.loggedOutEverywhere);
    redirectTo(ctx, '/');
  });

  return router;
}
