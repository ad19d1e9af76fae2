import type { MailKind } from './mailer.js';

/** Which configured lifetime a kind's link has (its email says "expires in …"); null: no expiry shown. */
export type LinkLifetime = 'verify' | 'reset' | null;

/** What the queue needs to render and send one kind of email. */
export type MailKindSpec = Readonly<{
  subject: string;
  /** Base name of the templates in views/email/ (`NAME.text.ejs`, `NAME.html.ejs`). */
  template: string;
  lifetime: LinkLifetime;
}>;

/**
 * The one table of mail kinds. Adding a kind is a row here, its two templates, and the domain
 * naming it when it queues the message.
 */
export const MAIL_KINDS: Readonly<Record<MailKind, MailKindSpec>> = {
  verify: { subject: 'Confirm your email address', template: 'verify', lifetime: 'verify' },
  reset: { subject: 'Reset your password', template: 'reset', lifetime: 'reset' },
  'signup-attempt': {
    subject: 'Someone tried to sign up with your email address',
    template: 'signup-attempt',
    lifetime: null,
  },
  'email-confirm': {
    subject: 'Confirm your new email address',
    template: 'email-confirm',
    lifetime: 'verify',
  },
  'email-change-notice': {
    subject: 'Your email address is being changed',
    template: 'email-change-notice',
    lifetime: 'verify',
  },
  'email-taken-notice': {
    subject: 'Someone tried to move an account to your email address',
    template: 'email-taken-notice',
    lifetime: null,
  },
  // Issue 17 (TWOFACTOR): second-factor changes, told to the owner.
  'two-factor-on': { subject: 'Two-factor sign-in is on', template: 'two-factor-on', lifetime: null },
  'two-factor-off': { subject: 'Two-factor sign-in is off', template: 'two-factor-off', lifetime: null },
  'passkey-added': {
    subject: 'A passkey was added to your account',
    template: 'passkey-added',
    lifetime: null,
  },
  'passkey-removed': {
    subject: 'A passkey was removed from your account',
    template: 'passkey-removed',
    lifetime: null,
  },
  'recovery-code-used': {
    subject: 'A recovery code was used',
    template: 'recovery-code-used',
    lifetime: null,
  },
  // Issue 18 (ADMIN): an invitation's link lives as long as a verification link.
  invite: { subject: 'You are invited: choose your password', template: 'invite', lifetime: 'verify' },
  // Issue 14: the security notices, each telling what to do if it was not the owner.
  'password-changed': {
    subject: 'Your password was changed',
    template: 'password-changed',
    lifetime: null,
  },
  'new-sign-in': { subject: 'A new sign-in to your account', template: 'new-sign-in', lifetime: null },
  'account-deleted': { subject: 'Your account was deleted', template: 'account-deleted', lifetime: null },
};

/** Whether `kind` is one of the table's kinds (a stored record holds a plain string). */
export function isMailKind(kind: string): kind is MailKind {
  return Object.hasOwn(MAIL_KINDS, kind);
}
