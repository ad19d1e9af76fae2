import * as z from 'zod';
import type { AuthError } from '../../auth/errors.js';
import { fieldErrors, text } from './form.js';
import { passwordMessages } from './password.js';

/** The change-password form of a logged-in person. */
export const changeForm = z.object({
  oldPassword: text(1024),
  newPassword: text(1024),
  confirmation: text(1024),
});

export const changeMessages = {
  missingOld: 'Enter your current password.',
  wrongOld: 'The current password is not right.',
  mismatch: 'The passwords do not match.',
  unchanged: 'Choose a new password that is different from your current one.',
} as const;

/** The message beside the new password for a password the rules refuse (the domain says `password`). */
export function changeErrors(error: AuthError, minLength: number): Record<string, string> {
  const errors = fieldErrors(error, passwordMessages('password', minLength));
  return { newPassword: errors.password ?? 'Choose another password.' };
}
