import { invalidVerificationToken } from '../auth/errors.js';
import type { AuthDeps, Authenticated, LoginResult } from '../auth/types.js';
import { authenticate, logIn, verifyEmail } from '../auth/users.js';
import { hasCode } from './forms/form.js';

/*
 * TEMPORARY adapter until the DOMAIN helper's verification-by-login functions land in
 * server/auth/sign-up.ts (asked for in /work/team/PAGES-API.md): the same three signatures, built
 * only from domain functions that exist today, so the pages and their tests need no change when
 * the domain's own versions replace these. No store call and no rule of its own here.
 */

/** The account an emailed verification link is for, read without changing anything; null when bad. */
export async function inspectVerificationLink(
  auth: AuthDeps,
  userId: string,
  secret: string,
): Promise<Authenticated | null> {
  const proof = await authenticate(auth, secret, 'verify');
  return proof && String(proof.user.id) === userId ? proof : null;
}

/** The logged-in owner of the account confirms: the link is spent and the email verified. */
export async function confirmEmailWithLink(auth: AuthDeps, userId: string, secret: string): Promise<void> {
  await verifyEmail(auth, userId, secret);
}

/**
 * Password and link in one browser: proves both the account and the mailbox, verifies the email and
 * logs in. A wrong password is LOGIN_FAILED (nothing changes); a bad link INVALID_TOKEN.
 */
export async function logInWithVerificationLink(
  auth: AuthDeps,
  input: { userId: string; secret: string; password: string },
): Promise<LoginResult> {
  const link = await inspectVerificationLink(auth, input.userId, input.secret);
  if (!link) throw invalidVerificationToken();
  const credentials = { email: link.user.email, password: input.password };
  try {
    const result = await logIn(auth, credentials);
    await verifyEmail(auth, input.userId, input.secret);
    return result;
  } catch (error) {
    // Refused only for being unverified: the password was right, so the link may verify now.
    if (!hasCode(error, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED')) throw error;
  }
  await verifyEmail(auth, input.userId, input.secret);
  return logIn(auth, credentials);
}
