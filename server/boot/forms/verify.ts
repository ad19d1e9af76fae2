import * as z from 'zod';
import { text } from './form.js';

/** The emailed link's query: `GET /verify?uid=&token=`. */
export const verifyQuery = z.object({ uid: text(200), token: text(200) });

/** The "Confirm my email" button of a browser logged in as the link's account. */
export const confirmForm = z.object({ uid: text(200), token: text(200) });

/** The log-in form for the link's account: the link rides in hidden fields, the email is shown. */
export const verifyLoginForm = z.object({
  uid: text(200),
  token: text(200),
  password: text(1024),
  remember: text(10),
});

/** The link's `uid` as the user id it names; null for anything that is not a whole number. */
export function userIdOf(uid: string): number | null {
  return /^[1-9]\d{0,14}$/.test(uid) ? Number(uid) : null;
}

export const verifyMessages = {
  missingPassword: 'Enter your password.',
  // The same words as the log-in form's: a wrong password here tells no more than there.
  failed: 'The email, username or password is not right.',
} as const;
