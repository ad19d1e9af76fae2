import * as z from 'zod';
import type { AuthError } from '../../auth/errors.js';
import { fieldErrors, text } from './form.js';
import { passwordMessages } from './password.js';

/** The form behind an emailed reset link; the link's token rides in a hidden field. */
export const resetForm = z.object({
  access_token: text(200),
  password: text(1024),
  confirmation: text(1024),
});

/** GET /reset-password?access_token= */
export const resetQuery = z.object({ access_token: text(200) });

export const resetMessages = { mismatch: 'The passwords do not match.' } as const;

/** The message beside the new password for a password the rules refuse. */
export function resetErrors(error: AuthError, minLength: number): Record<string, string> {
  const errors = fieldErrors(error, passwordMessages('password', minLength));
  return { password: errors.password ?? 'Choose another password.' };
}
