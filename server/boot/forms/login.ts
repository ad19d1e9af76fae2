import * as z from 'zod';
import { text } from './form.js';

/** The log-in form on the index page: `email` holds an email or a username. */
export const loginForm = z.object({
  email: text(254),
  password: text(1024),
  remember: text(10),
  next: text(2000),
});
export type LoginForm = z.infer<typeof loginForm>;

/** GET /: `forgot` pre-fills the forgot-password form (the log-in card's "Forgot password?" link). */
export const indexQuery = z.object({ forgot: text(254) });

/**
 * The same words for an unknown user and a wrong password, so the page does not tell which
 * accounts exist; the unverified case has its own, with a way to resend the link.
 */
export const loginMessages = {
  missingEmail: 'Enter your email or username.',
  missingPassword: 'Enter your password.',
  failed: 'The email, username or password is not right.',
  unverified:
    'Your email address is not verified yet. Follow the link in the email we sent you, or have a new one sent.',
} as const;

/**
 * Where the log-in card's "Forgot password?" link goes: the reset form, with the typed identifier
 * when it is an email address (a username is no address to send a link to).
 */
export function forgotPasswordHref(identifier: string): string {
  const value = identifier.trim();
  return value.includes('@') ? `/?forgot=${encodeURIComponent(value)}#forgot-heading` : '/#forgot-heading';
}

/** What the log-in card shows again after a failed attempt: everything but the password. */
export function loginValues(form: LoginForm): { loginEmail: string; remember: boolean } {
  return { loginEmail: form.email, remember: form.remember === 'on' };
}

/** Missing fields, said beside each before any work is done; null when both are there. */
export function missingLoginFields(form: LoginForm): Record<string, string> | null {
  const errors: Record<string, string> = {};
  if (!form.email.trim()) errors.email = loginMessages.missingEmail;
  if (!form.password) errors.password = loginMessages.missingPassword;
  return Object.keys(errors).length > 0 ? errors : null;
}
