import type { FieldMessages } from './form.js';

/**
 * Words for the password rules (server/auth/passwords.ts names them by code), for any field that
 * takes a new password: sign-up, reset and change each map them onto their own field name.
 */
export function passwordMessages(field: string, minLength: number): FieldMessages {
  return {
    [`${field}.password.tooShort`]: `Use at least ${minLength} characters.`,
    [`${field}.password.tooLong`]: 'Use at most 72 bytes: longer passwords would be cut short.',
    [`${field}.password.common`]: 'That is one of the most common passwords. Choose another.',
    [`${field}.password.repetitive`]: 'That is a repeated or sequential pattern. Choose another.',
    [`${field}.password.matchesEmail`]: 'Your password must not be your email address.',
    [`${field}.password.matchesUsername`]: 'Your password must not be your username.',
    [`${field}.presence`]: 'Enter a password.',
    [field]: 'Choose another password.',
  };
}

/** The hint printed under a new-password field before the first attempt. */
export const passwordHint = (minLength: number) =>
  `At least ${minLength} characters. Not a common password, and not your email address or username.`;
