import { randomUUID } from 'node:crypto';
import type { MailKind, MailRecord } from '../store/store.js';
import type { LinkSealer } from './sealed-links.js';
import type { AuthSettings } from './types.js';

/**
 * An email to record in the same commit as the change that needs it; the mail queue delivers it
 * after the response, so its timing and its failures never show in the answer.
 */
export function queuedMail(
  sealer: LinkSealer,
  kind: MailKind,
  to: string,
  link: string,
  now: Date,
): MailRecord {
  return {
    id: randomUUID(),
    kind,
    to,
    sealedLink: sealer.seal(link),
    created: now.toISOString(),
    attempts: 0,
    nextAttempt: now.toISOString(),
    lastError: null,
  };
}

/** Links are built from APP_URL only: a forged Host header must not redirect a reset link. */
export function verificationLink(settings: AuthSettings, userId: string, secret: string): string {
  const url = new URL('/verify', settings.appUrl);
  url.searchParams.set('uid', userId);
  url.searchParams.set('token', secret);
  return url.href;
}

export function passwordResetLink(settings: AuthSettings, secret: string): string {
  const url = new URL('/reset-password', settings.appUrl);
  url.searchParams.set('access_token', secret);
  return url.href;
}

/** Where the owner of an address someone tried to sign up with can log in or reset instead. */
export function signInLink(settings: AuthSettings): string {
  return new URL('/', settings.appUrl).href;
}
