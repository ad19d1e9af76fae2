import Router from '@koa/router';
import { resendVerification, signUp } from '../auth/sign-up.js';
import { isValidationError, readBody } from './forms/form.js';
import { emailForm, signUpErrors, signUpForm, signUpValues } from './forms/sign-up.js';
import { type PageDeps, renderIndex, renderResponse } from './render.js';

/** Sign up and resend the verification email. */
export function signUpRoutes({ deps, auth }: PageDeps): Router {
  const router = new Router();

  router.post('/signup', async (ctx) => {
    const form = readBody(signUpForm, ctx);
    try {
      await signUp(
        auth,
        { email: form.email, username: form.username, password: form.password },
        'notify-owner',
      );
    } catch (error) {
      if (!isValidationError(error)) throw error;
      ctx.status = 422;
      const errors = signUpErrors(error, deps.config.passwordMinLength);
      await renderIndex(ctx, deps, { values: signUpValues(form), errors: { signup: errors } });
      return;
    }
    await renderResponse(ctx, {
      title: 'Signed up',
      heading: 'Signed up successfully',
      message: 'Please check your email and click on the verification link before logging in.',
      link: { href: '/', text: 'Back to log in' },
    });
  });

  router.post('/resend-verification', async (ctx) => {
    const form = readBody(emailForm, ctx);
    await resendVerification(auth, form.email);
    await renderResponse(ctx, {
      title: 'Check your email',
      heading: 'Check your email',
      message:
        'If that address belongs to an account that is not verified yet, a new verification link is on its way.',
      link: { href: '/', text: 'Back to log in' },
    });
  });

  return router;
}
