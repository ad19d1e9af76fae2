import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AuthError, requestRefused } from '../auth/errors.js';
import type { AuthDeps } from '../auth/types.js';
import {
  changePassword,
  identifierFields,
  isResetTokenValid,
  logIn,
  logOut,
  logOutEverywhere,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  signUp,
  verifyEmail,
} from '../auth/users.js';
import type { Deps } from '../deps.js';
import { authOf } from '../middleware/access-token.js';
import { safeRedirectPath } from '../middleware/safe-redirect.js';

// Form fields arrive as strings; a repeated field arrives as an array and is refused (400).
const text = (max: number) => z.string().max(max).default('');
const loginForm = z.object({ email: text(254), password: text(1024), remember: text(10), next: text(2000) });
const signupForm = z.object({ email: text(254), username: text(64), password: text(1024) });
const emailForm = z.object({ email: text(254) });
const resetForm = z.object({ access_token: text(200), password: text(1024), confirmation: text(1024) });
const changeForm = z.object({ oldPassword: text(1024), newPassword: text(1024), confirmation: text(1024) });
const verifyQuery = z.object({ uid: text(200), token: text(200) });

function readForm<T extends z.ZodType>(schema: T, ctx: Context): z.infer<T> {
  const parsed = schema.safeParse(ctx.request.body ?? {});
  if (!parsed.success) throw requestRefused(400, 'INVALID_FORM', 'The form was not filled in correctly.');
  return parsed.data;
}

/** First message per field, as the views show them beside each field. */
function fieldErrors(error: AuthError): Record<string, string> {
  const messages = error.details?.messages ?? {};
  return Object.fromEntries(
    Object.entries(messages).map(([field, list]) => {
      const friendly = pageMessages[`${field}.${error.details?.codes[field]?.[0] ?? ''}`];
      return [field, friendly ?? sentence(field, list[0] ?? '')];
    }),
  );
}

/** Where LoopBack's wording (kept for the API) reads oddly on a page. */
const pageMessages: Record<string, string> = {
  'username.uniqueness': 'That username is taken. Choose another.',
  'email.uniqueness': 'That email address already has an account.',
};

const fieldNames: Record<string, string> = { email: 'Email', username: 'Username', password: 'Password' };
function sentence(field: string, message: string): string {
  return `${fieldNames[field] ?? field} ${message}`.replace(/\.?$/, '.');
}

/** Pages that show account data must not be kept by the browser (the back button after log-out). */
function noStore(ctx: Context) {
  ctx.set('Cache-Control', 'no-store');
}

type IndexState = {
  values?: Partial<{
    loginEmail: string;
    signupEmail: string;
    signupUsername: string;
    forgotEmail: string;
    remember: boolean;
  }>;
  errors?: Record<string, Record<string, string>>;
  next?: string;
};

/**
 * The HTML pages: each reads its form, calls one function of auth/, and renders a view with plain
 * values or redirects with 303. No rule lives here.
 */
export function createPageRouter(deps: Deps, auth: AuthDeps): Router {
  const router = new Router();
  const { config } = deps;

  const renderIndex = async (ctx: Context, state: IndexState = {}) => {
    await ctx.render('index', {
      title: 'Welcome',
      values: {
        loginEmail: '',
        signupEmail: '',
        signupUsername: '',
        forgotEmail: '',
        remember: false,
        ...state.values,
      },
      errors: state.errors ?? {},
      next: state.next ?? '',
      passwordMinLength: config.passwordMinLength,
    });
  };
  const renderResponse = async (
    ctx: Context,
    page: {
      title: string;
      heading: string;
      message: string;
      link?: { href: string; text: string };
      resend?: { email: string };
    },
  ) => {
    await ctx.render('response', page);
  };

  /** Starts a fresh session holding only this token: the pre-login cookie authenticates nothing. */
  const startSession = (ctx: Context, secret: string, remember: boolean, ttlSeconds: number) => {
    ctx.session = null;
    ctx.session = { token: secret } as NonNullable<Context['session']>;
    ctx.session.maxAge = remember ? ttlSeconds * 1000 : 'session';
  };

  router.get('/', async (ctx) => {
    const next = safeRedirectPath(ctx.query.next) ?? '';
    await renderIndex(ctx, { next });
  });

  router.post('/login', async (ctx) => {
    const form = readForm(loginForm, ctx);
    const next = safeRedirectPath(form.next) ?? '';
    const values = { loginEmail: form.email, remember: form.remember === 'on' };
    if (!form.email.trim() || !form.password) {
      ctx.status = 400;
      const errors: Record<string, string> = {};
      if (!form.email.trim()) errors.email = 'Enter your email or username.';
      if (!form.password) errors.password = 'Enter your password.';
      await renderIndex(ctx, { values, errors: { login: errors }, next });
      return;
    }
    const identifier = form.email.trim();
    try {
      const result = await logIn(auth, {
        ...identifierFields(identifier),
        password: form.password,
      });
      const previous = authOf(ctx);
      if (previous?.transport === 'session') await logOut(auth, previous.token);
      startSession(ctx, result.secret, values.remember, result.token.ttl);
      ctx.status = 303;
      ctx.redirect(next || '/home');
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 401) throw error;
      ctx.status = 401;
      const tryAgain = { href: next ? `/?next=${encodeURIComponent(next)}` : '/', text: 'Try again' };
      if (error.code === 'LOGIN_FAILED_EMAIL_NOT_VERIFIED') {
        await renderResponse(ctx, {
          title: 'Login failed',
          heading: 'Login failed',
          message:
            'Your email address is not verified yet. Follow the link in the email we sent you, or have a new one sent.',
          link: tryAgain,
          resend: { email: identifier },
        });
      } else {
        await renderResponse(ctx, {
          title: 'Login failed',
          heading: 'Login failed',
          message: 'The email, username or password is not right.',
          link: tryAgain,
        });
      }
    }
  });

  router.get('/home', async (ctx) => {
    const current = authOf(ctx);
    if (!current) {
      ctx.status = 303;
      ctx.redirect('/?next=/home');
      return;
    }
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
    await ctx.render('logout', { title: 'Log out' });
  });

  router.post('/logout', async (ctx) => {
    const current = authOf(ctx);
    if (current) await logOut(auth, current.token);
    ctx.session = null;
    ctx.status = 303;
    ctx.redirect('/');
  });

  router.post('/logout-all', async (ctx) => {
    const current = authOf(ctx);
    if (current) await logOutEverywhere(auth, current.user.id);
    ctx.session = null;
    ctx.status = 303;
    ctx.redirect('/');
  });

  router.post('/signup', async (ctx) => {
    const form = readForm(signupForm, ctx);
    const values = { signupEmail: form.email, signupUsername: form.username };
    try {
      await signUp(
        auth,
        { email: form.email, username: form.username, password: form.password },
        'notify-owner',
      );
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 422) throw error;
      ctx.status = 422;
      await renderIndex(ctx, { values, errors: { signup: fieldErrors(error) } });
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
    const form = readForm(emailForm, ctx);
    await resendVerification(auth, form.email);
    await renderResponse(ctx, {
      title: 'Check your email',
      heading: 'Check your email',
      message:
        'If that address belongs to an account that is not verified yet, a new verification link is on its way.',
      link: { href: '/', text: 'Back to log in' },
    });
  });

  router.get('/verify', async (ctx) => {
    const query = verifyQuery.safeParse(ctx.query);
    try {
      if (!query.success || !query.data.uid || !query.data.token)
        throw requestRefused(400, 'INVALID_TOKEN', '');
      await verifyEmail(auth, query.data.uid, query.data.token);
    } catch (error) {
      if (!(error instanceof AuthError) || error.status >= 500) throw error;
      ctx.status = 400;
      await ctx.render('error', {
        title: 'Invalid link',
        status: 400,
        heading: 'This verification link is invalid or has expired',
        message: 'Log in to have a new verification link sent, or sign up again.',
        link: { href: '/', text: 'Back to log in' },
      });
      return;
    }
    ctx.status = 303;
    ctx.redirect('/verified');
  });

  router.get('/verified', async (ctx) => {
    await ctx.render('verified', { title: 'Email verified' });
  });

  router.post('/request-password-reset', async (ctx) => {
    const form = readForm(emailForm, ctx);
    if (!form.email.trim()) {
      ctx.status = 400;
      await renderIndex(ctx, { errors: { forgot: { email: 'Enter the email address of your account.' } } });
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

  const renderInvalidResetLink = async (ctx: Context) => {
    ctx.status = 401;
    await renderResponse(ctx, {
      title: 'Invalid link',
      heading: 'This reset link is invalid or has expired',
      message: 'Reset links work once and only for a short time. Ask for a new one.',
      link: { href: '/#forgot-heading', text: 'Ask for a new link' },
    });
  };

  router.get('/reset-password', async (ctx) => {
    noStore(ctx);
    const token = typeof ctx.query.access_token === 'string' ? ctx.query.access_token : '';
    // Showing the form never spends the link: mail scanners open links too.
    if (!(await isResetTokenValid(auth, token))) return renderInvalidResetLink(ctx);
    await ctx.render('password-reset', {
      title: 'Choose a new password',
      accessToken: token,
      errors: {},
      passwordMinLength: config.passwordMinLength,
    });
  });

  router.post('/reset-password', async (ctx) => {
    noStore(ctx);
    const form = readForm(resetForm, ctx);
    if (!(await isResetTokenValid(auth, form.access_token))) return renderInvalidResetLink(ctx);
    const showForm = async (errors: Record<string, string>) => {
      ctx.status = 422;
      await ctx.render('password-reset', {
        title: 'Choose a new password',
        accessToken: form.access_token,
        errors,
        passwordMinLength: config.passwordMinLength,
      });
    };
    if (form.password !== form.confirmation) return showForm({ confirmation: 'The passwords do not match.' });
    try {
      await resetPassword(auth, form.access_token, form.password);
    } catch (error) {
      if (error instanceof AuthError && error.status === 422)
        return showForm({ password: fieldErrors(error).password ?? error.message });
      if (error instanceof AuthError && error.status === 401) return renderInvalidResetLink(ctx);
      throw error;
    }
    ctx.session = null;
    await renderResponse(ctx, {
      title: 'Password reset',
      heading: 'Password reset success',
      message:
        'Your password has been changed and every session has been logged out. Log in with the new password.',
      link: { href: '/', text: 'Log in' },
    });
  });

  const requireLogin = (ctx: Context, path: string) => {
    const current = authOf(ctx);
    if (!current) {
      ctx.status = 303;
      ctx.redirect(`/?next=${encodeURIComponent(path)}`);
    }
    return current;
  };

  router.get('/change-password', async (ctx) => {
    if (!requireLogin(ctx, '/change-password')) return;
    noStore(ctx);
    await ctx.render('change-password', {
      title: 'Change password',
      errors: {},
      passwordMinLength: config.passwordMinLength,
    });
  });

  router.post('/change-password', async (ctx) => {
    const current = requireLogin(ctx, '/change-password');
    if (!current) return;
    noStore(ctx);
    const form = readForm(changeForm, ctx);
    const showForm = async (status: number, errors: Record<string, string>, success = false) => {
      ctx.status = status;
      await ctx.render('change-password', {
        title: 'Change password',
        errors,
        success,
        passwordMinLength: config.passwordMinLength,
      });
    };
    if (!form.oldPassword) return showForm(400, { oldPassword: 'Enter your current password.' });
    if (form.newPassword !== form.confirmation)
      return showForm(422, { confirmation: 'The passwords do not match.' });
    try {
      const inBrowserSession = current.transport === 'session';
      const { session } = await changePassword(
        auth,
        current.user,
        form.oldPassword,
        form.newPassword,
        inBrowserSession ? { rotate: current.token } : { keep: current.token },
      );
      // A fresh session for this browser; every other token of the user is gone.
      if (session) startSession(ctx, session.secret, ctx.session?.maxAge !== 'session', session.token.ttl);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.code === 'INVALID_PASSWORD')
        return showForm(400, { oldPassword: 'The current password is not right.' });
      if (error.status === 422)
        return showForm(422, { newPassword: fieldErrors(error).password ?? error.message });
      throw error;
    }
    await showForm(200, {}, true);
  });

  // A reload of a form's answer page (or a bookmarked one) asks for these with GET: go back to the forms.
  for (const formOnly of [
    '/login',
    '/signup',
    '/logout-all',
    '/resend-verification',
    '/request-password-reset',
  ]) {
    router.get(formOnly, (ctx) => {
      ctx.status = 303;
      ctx.redirect('/');
    });
  }

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  const outbox = deps.outbox;
  if (outbox && !config.isProduction) {
    router.get('/dev/outbox', async (ctx) => {
      noStore(ctx);
      await ctx.render('outbox', { title: 'Dev outbox', messages: await outbox.list() });
    });
  }

  return router;
}
