import type { MailKind } from '../mail/mailer.js';
import type { NewMail, NewToken, UserId } from '../store/store.js';
import { emailKey } from './canonical.js';
import { issueToken } from './tokens.js';
import type { AuthDeps, AuthSettings } from './types.js';

/**
 * Links people wait for (and a warning that someone is taking the account) go first; notices
 * that ask nothing of their reader never hold them up.
 */
const PRIORITY: Record<MailKind, number> = {
  verify: 0,
  reset: 0,
  'email-confirm': 0,
  'email-change-notice': 0,
  'signup-attempt': 1,
  'email-taken-notice': 1,
  // A second-factor change is a warning the owner must see soon, like an email change.
  'two-factor-on': 0,
  'two-factor-off': 0,
  'passkey-added': 0,
  'passkey-removed': 0,
  'recovery-code-used': 0,
  // Issue 18: an invitation is a link someone waits for.
  invite: 0,
  // Issue 14: warnings the owner must see soon (someone else may hold the account).
  'password-changed': 0,
  'new-sign-in': 0,
  'account-deleted': 1,
};

/**
 * An email to record in the same write as the change that needs it; the mail queue delivers it
 * after the response, so its timing and its failures never show in the answer. With `token`, the
 * queue drops the email instead of sending it once that token is gone (spent, replaced, expired).
 */
export function newMail(
  deps: AuthDeps,
  kind: MailKind,
  to: string,
  options: { link?: string; token?: NewToken; params?: Record<string, string> } = {},
): NewMail {
  const now = deps.clock.now().toISOString();
  return {
    kind,
    priority: PRIORITY[kind],
    to,
    toKey: emailKey(to) ?? to.toLowerCase(),
    sealedLink: options.link ? deps.sealer.seal(options.link) : null,
    tokenHash: options.token?.hash ?? null,
    params: options.params ?? {},
    created: now,
    nextAttempt: now,
  };
}

/** The lifetime of each link kind's token, in seconds. */
function ttlOf(settings: AuthSettings, kind: 'verify' | 'reset' | 'email-confirm' | 'email-cancel'): number {
  return kind === 'reset' ? settings.resetTokenTtl : settings.verifyTokenTtl;
}

/** A fresh single-use token of `kind` and the emailed link that carries it (built from APP_URL only). */
export function linkToken(
  deps: AuthDeps,
  userId: UserId,
  kind: 'verify' | 'reset' | 'email-confirm' | 'email-cancel',
): { token: NewToken; link: string } {
  const { secret, record } = issueToken(kind, ttlOf(deps.settings, kind), deps.clock.now());
  // A forged Host header must never redirect a link: every link is built from APP_URL.
  const url = new URL(pathOf(kind), deps.settings.appUrl);
  if (kind === 'reset') url.searchParams.set('access_token', secret);
  else {
    url.searchParams.set('uid', String(userId));
    url.searchParams.set('token', secret);
  }
  return { token: record, link: url.href };
}

function pathOf(kind: 'verify' | 'reset' | 'email-confirm' | 'email-cancel'): string {
  if (kind === 'reset') return '/reset-password';
  // A new address is confirmed on the same page as a first verification: one page proves mailbox
  // and account together, whichever kind of link it was.
  if (kind === 'email-cancel') return '/account/email/cancel';
  return '/verify';
}

/** Where the owner of an address can log in or reset instead (notices carry no token). */
export function signInLink(settings: AuthSettings): string {
  return new URL('/', settings.appUrl).href;
}
