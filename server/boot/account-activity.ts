import Router from '@koa/router';
import * as z from 'zod';
import { listActivity } from '../auth/activity.js';
import { readForm } from './forms/form.js';
import { noStore, type PageDeps, requireLogin } from './render.js';

/** Entries per page on /account/activity. */
const PAGE = 20;

/** What each entry type reads as to its owner. */
const LABELS: Readonly<Record<string, string>> = {
  login: 'Signed in',
  'login-failed': 'Failed sign-in',
  logout: 'Logged out',
  'session-revoked': 'A session was logged out',
  'sessions-revoked': 'Other sessions were logged out',
  'password-changed': 'Password changed',
  'password-reset': 'Password reset',
  'reset-link-printed': 'An operator printed a reset link',
  'email-change-requested': 'Email change asked for',
  'email-change-cancelled': 'Email change cancelled',
  'email-changed': 'Email address changed',
  'email-verified': 'Email address verified',
  'two-factor-on': 'Two-factor sign-in turned on',
  'two-factor-off': 'Two-factor sign-in turned off',
  'recovery-codes-generated': 'New recovery codes',
  'recovery-code-used': 'Recovery code used',
  'passkey-added': 'Passkey added',
  'passkey-removed': 'Passkey removed',
  'identity-linked': 'Account connected',
  'identity-unlinked': 'Account disconnected',
  'account-disabled': 'Account disabled by an operator',
  'account-enabled': 'Account enabled by an operator',
  'account-deleted': 'Account deleted',
};

/** Detail fields shown, in words; anything else an entry holds is left out. */
const DETAIL_LABELS: Readonly<Record<string, string>> = {
  email: 'Email',
  from: 'From',
  to: 'To',
  name: 'Name',
  provider: 'Provider',
  count: 'Sessions',
};

/** How it was done, in words (an unknown method is shown as recorded). */
const METHOD_LABELS: Readonly<Record<string, string>> = {
  password: 'Password',
  passkey: 'Passkey',
  totp: 'Authenticator code',
  oidc: 'Provider sign-in',
  admin: 'By an operator',
  'email-link': 'Emailed link',
  'password+totp': 'Password and authenticator code',
  'password+recovery-code': 'Password and recovery code',
  'password+passkey': 'Password and passkey',
};

const pageQuery = z.object({
  before: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .catch(undefined),
});

/** Issue 14: the account's security activity, newest first, a page at a time. */
export function accountActivityRoutes({ auth }: PageDeps): Router {
  const router = new Router();

  router.get('/account/activity', async (ctx) => {
    const current = requireLogin(ctx, '/account/activity');
    if (!current) return;
    noStore(ctx);
    const { before } = readForm(pageQuery, { before: ctx.query.before });
    // One more than a page tells whether an older page exists.
    const found = await listActivity(auth, current.user.id, {
      ...(before === undefined ? {} : { before: Number(before) }),
      limit: PAGE + 1,
    });
    const entries = found.slice(0, PAGE);
    const last = entries.at(-1);
    await ctx.render('account-activity', {
      title: 'Security activity',
      entries: entries.map((entry) => ({
        at: entry.at,
        what: LABELS[entry.type] ?? entry.type,
        failed: entry.type === 'login-failed',
        method: entry.method ? (METHOD_LABELS[entry.method] ?? entry.method) : '',
        ip: entry.ip ?? '',
        device: entry.device ?? '',
        details: Object.entries(entry.detail ?? {})
          .filter(([key]) => DETAIL_LABELS[key] !== undefined && key !== 'scope')
          .map(([key, value]) => ({ label: DETAIL_LABELS[key], value })),
      })),
      older: found.length > PAGE && last ? `/account/activity?before=${last.id}` : '',
      newest: before === undefined ? '' : '/account/activity',
    });
  });

  return router;
}
