import * as z from 'zod';
import { text } from './form.js';

/** The enrolment form: the first code from the authenticator app. */
export const enrolForm = z.object({ code: text(40) });

/** Turning the app off, renewing recovery codes, removing a passkey: the password and a code. */
export const reauthForm = z.object({ currentPassword: text(1024), code: text(40), credentialId: text(1400) });

/** The second step of a sign-in: an authenticator code or a recovery code. */
export const secondStepForm = z.object({ code: text(40) });

/** A passkey's name and, on the verify call, the browser's answer (JSON, parsed by the library). */
export const passkeyForm = z.object({ name: text(200), response: text(20_000) });

/** The words of the two-factor pages, by the domain's codes. */
export const twoFactorMessages = {
  missingCode: 'Enter the 6-digit code from your authenticator app, or a recovery code.',
  wrongCode: 'That code is not right, or it was used already. Try the newest code.',
  enrolWrongCode: 'That code is not right. Check the time on your phone and try the newest code.',
  expired: 'Your sign-in took too long or had too many wrong codes. Log in again.',
  missingPassword: 'Enter your current password.',
  wrongPassword: 'The password is not right.',
  reauthCode: 'Enter a current code from your authenticator app, or a recovery code.',
  passkeyRejected: 'The passkey was not accepted. Try again, or use another way to log in.',
  passkeysOff: 'Passkeys are turned off on this server.',
  passkeyName: 'Give the passkey a name of at most 60 characters, like “Laptop”.',
  unverified: 'Your email address is not verified yet. Follow the link in the email we sent you.',
} as const;

/** At most this many wrong codes on one second step, then the person starts again (issue 17). */
export const MAX_WRONG_CODES = 5;
