import type { Context } from 'koa';
import { passkeyProblem } from '../auth/passkeys.js';
import type { AuthDeps } from '../auth/types.js';
import type { Deps } from '../deps.js';
import { authOf, type RequestAuth } from '../middleware/access-token.js';
import { forgotPasswordHref } from './forms/login.js';
import { passwordHint } from './forms/password.js';

/** What every page route gets: the app's deps and the part of them the domain sees. */
export type PageDeps = { deps: Deps; auth: AuthDeps };

/** The index page's three forms: what each shows again and the messages beside its fields. */
export type IndexState = {
  values?: Partial<{
    loginEmail: string;
    signupEmail: string;
    signupUsername: string;
    forgotEmail: string;
    remember: boolean;
  }>;
  errors?: Partial<Record<'login' | 'signup' | 'forgot', Record<string, string>>>;
  /** A message inside the log-in card (a failed log-in), and whether it offers a resend. */
  loginAlert?: { message: string; resendEmail?: string };
  next?: string;
};

export async function renderIndex(ctx: Context, deps: Deps, state: IndexState = {}): Promise<void> {
  await ctx.render('index', {
    title: state.errors || state.loginAlert ? 'Error: Welcome' : 'Welcome',
    values: {
      loginEmail: '',
      signupEmail: '',
      signupUsername: '',
      forgotEmail: '',
      remember: false,
      ...state.values,
    },
    errors: state.errors ?? {},
    loginAlert: state.loginAlert ?? null,
    forgotHref: forgotPasswordHref(state.values?.loginEmail ?? ''),
    next: state.next ?? '',
    passwordMinLength: deps.config.passwordMinLength,
    passwordHint: passwordHint(deps.config.passwordMinLength),
    // Issue 17: "Log in with a passkey" shows only when APP_URL can carry passkeys.
    passkeysOn: passkeyProblem(deps.config.appUrl) === null,
  });
}

/** A one-card answer page: a heading, a sentence, a next step. */
export type ResponsePage = {
  title: string;
  heading: string;
  message: string;
  link?: { href: string; text: string };
  resend?: { email: string };
};

export async function renderResponse(ctx: Context, page: ResponsePage): Promise<void> {
  await ctx.render('response', page);
}

/**
 * A page with one form: its title starts with "Error:" when the form has messages, so a screen
 * reader hears first that something needs correcting.
 */
export async function renderForm(
  ctx: Context,
  view: string,
  title: string,
  errors: Record<string, string>,
  locals: Record<string, unknown> = {},
): Promise<void> {
  const failed = Object.keys(errors).length > 0;
  const minLength = locals.passwordMinLength;
  await ctx.render(view, {
    title: failed ? `Error: ${title}` : title,
    errors,
    // The rules in words, under every new-password field before the first attempt.
    ...(typeof minLength === 'number' ? { passwordHint: passwordHint(minLength) } : {}),
    ...locals,
  });
}

/** The error page for a refused link or request, with the next step to take. */
export async function renderRefusal(
  ctx: Context,
  status: number,
  page: { heading: string; message: string; link: { href: string; text: string } },
): Promise<void> {
  ctx.status = status;
  await ctx.render('error', { title: `Error: ${page.heading}`, status, ...page });
}

/** Pages that show account data must not be kept by the browser (the back button after log-out). */
export function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
}

export function redirectTo(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

/** The logged-in person, or a 303 to the log-in form that comes back to `path`. */
export function requireLogin(ctx: Context, path: string): RequestAuth | null {
  const current = authOf(ctx);
  if (!current) redirectTo(ctx, `/?next=${encodeURIComponent(path)}`);
  return current;
}
