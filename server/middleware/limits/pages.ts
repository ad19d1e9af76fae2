import type { Context, Middleware } from 'koa';
import { authOf } from '../access-token.js';
import { identifierKey, mailKey } from './keys.js';
import type { Limiter, Outcome } from './limiter.js';
import type { MailFamily } from './policy.js';

/**
 * The pages' throttles, by route (the API declares its own beside each endpoint). A page route
 * tells the limiter how the attempt ended with `reportAttempt`; a route that has not been taught
 * yet is read from its status (expand, then contract: removed once every page route reports).
 */

type PageRule =
  | { kind: 'password'; identifier: (ctx: Context) => string; failsOn: readonly number[] }
  | { kind: 'mail'; family: MailFamily };

const field = (ctx: Context, name: string): string => {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/** A logged-in page that checks the current password: counted against the account's own budget. */
const currentPasswordCheck: PageRule = {
  kind: 'password',
  identifier: (ctx) => identifierKey(authOf(ctx)?.user.email ?? ''),
  failsOn: [401],
};

const PAGE_RULES: Record<string, PageRule> = {
  '/login': { kind: 'password', identifier: (ctx) => identifierKey(field(ctx, 'email')), failsOn: [401] },
  '/change-password': { ...currentPasswordCheck, failsOn: [400, 401] },
  // The log-in form on a verification link's page (PAGES helper): a password check for the link's account.
  '/verify/login': {
    kind: 'password',
    identifier: (ctx) => `uid:${field(ctx, 'uid').slice(0, 20)}`,
    failsOn: [401],
  },
  // Issue 17 (TWOFACTOR): the second step's codes, per account (the id the held ticket names).
  '/login/two-factor': {
    kind: 'password',
    identifier: (ctx) =>
      `mfa:${String((ctx.session?.secondStep as { ticket?: unknown } | undefined)?.ticket ?? '').split('.')[0]}`,
    failsOn: [401],
  },
  // Issue 14: the account pages that check the current password, and the email change's resend.
  '/account/email': currentPasswordCheck,
  '/account/delete': currentPasswordCheck,
  '/account/email/resend': { kind: 'mail', family: 'email-change' },
  '/signup': { kind: 'mail', family: 'signup' },
  '/resend-verification': { kind: 'mail', family: 'resend' },
  '/request-password-reset': { kind: 'mail', family: 'reset' },
};

const REPORTED = Symbol('attempt outcome');
const LIMITER = Symbol('limiter');

/**
 * A page route that proved the owner (a reset through the emailed link) forgets the account's
 * failed guesses and trusts this browser, so the owner is let in at once.
 */
export async function clearLoginFailures(ctx: Context, identifiers: readonly string[]): Promise<void> {
  const limiter = (ctx.state as Record<symbol, Limiter | undefined>)[LIMITER];
  await limiter?.clearAccount(ctx, identifiers.map(identifierKey));
}

/** Tells the page's throttle how the attempt ended (see Outcome). */
export function reportAttempt(ctx: Context, outcome: Outcome): void {
  (ctx.state as Record<symbol, Outcome>)[REPORTED] = outcome;
}

function outcomeOf(ctx: Context, rule: PageRule, thrown: unknown): Outcome {
  const reported = (ctx.state as Record<symbol, Outcome | undefined>)[REPORTED];
  if (reported) return reported;
  const status = thrown === undefined ? ctx.status : ((thrown as { status?: number } | null)?.status ?? 500);
  if (rule.kind === 'mail') return status >= 400 ? 'not-counted' : 'failure';
  if (status < 400) return 'success';
  return rule.failsOn.includes(status) ? 'failure' : 'not-counted';
}

// Matched the way @koa/router matches (case-insensitive, trailing slash optional), so `/LOGIN/`
// cannot reach the login route while slipping past the limiter.
function ruleOf(ctx: Context): PageRule | null {
  if (ctx.method !== 'POST') return null;
  const path = ctx.path.toLowerCase().replace(/\/+$/, '') || '/';
  return PAGE_RULES[path] ?? null;
}

/** The pages app's throttle: before the router, after the body and the CSRF check. */
export function throttlePages(limiter: Limiter): Middleware {
  return async function throttlePages(ctx, next) {
    const rule = ruleOf(ctx);
    Object.defineProperty(ctx.state, LIMITER, { value: limiter, enumerable: false, configurable: true });
    if (!rule) return next();
    const attempt =
      rule.kind === 'password'
        ? await limiter.passwordAttempt(ctx, rule.identifier(ctx))
        : await limiter.mailAttempt(ctx, rule.family, { email: mailKey(field(ctx, 'email')) });
    let thrown: unknown;
    try {
      await next();
    } catch (error) {
      thrown = error;
    }
    await attempt.settle(outcomeOf(ctx, rule, thrown));
    if (thrown !== undefined) throw thrown;
  };
}
