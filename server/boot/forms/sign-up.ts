import * as z from 'zod';
import type { AuthError } from '../../auth/errors.js';
import { fieldErrors, text } from './form.js';
import { passwordMessages } from './password.js';

/** The sign-up form on the index page; the username is optional. */
export const signUpForm = z.object({ email: text(254), username: text(64), password: text(1024) });
export type SignUpForm = z.infer<typeof signUpForm>;

/** The resend-verification and forgot-password forms: one address (or, for resend, a username). */
export const emailForm = z.object({ email: text(254) });

/** Words for each sign-up problem code the domain reports. */
function signUpMessages(minLength: number) {
  return {
    'email.presence': 'Enter your email address.',
    'email.custom.email': 'Enter an email address like name@example.com.',
    'email.uniqueness': 'That email address already has an account.',
    email: 'Enter an email address you can read mail at, without hidden or look-alike characters.',
    'username.format': 'Use 1 to 64 characters for the username, without spaces or @.',
    'username.uniqueness': 'That username is taken. Choose another.',
    username: 'Choose another username: it cannot hold hidden or look-alike characters.',
    ...passwordMessages('password', minLength),
  };
}

/** The messages beside each sign-up field for a refused sign-up. */
export function signUpErrors(error: AuthError, minLength: number): Record<string, string> {
  return fieldErrors(error, signUpMessages(minLength));
}

/** What the sign-up card shows again: everything but the password. */
export function signUpValues(form: SignUpForm): { signupEmail: string; signupUsername: string } {
  return { signupEmail: form.email, signupUsername: form.username };
}

export const forgotMessages = { missingEmail: 'Enter the email address of your account.' } as const;
