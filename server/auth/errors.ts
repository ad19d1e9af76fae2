/**
 * The domain's one error type: a LoopBack 3 `code` and, for invalid input, the problem codes of
 * each field. No HTTP status and no English: the API's presenter (api/present-error.ts) and each
 * form (boot/forms/) word it, and the web layer's table gives its status.
 */

/** Every code the domain throws. */
export type AuthErrorCode =
  | 'LOGIN_FAILED'
  | 'LOGIN_FAILED_EMAIL_NOT_VERIFIED'
  | 'USERNAME_EMAIL_REQUIRED'
  | 'EMAIL_REQUIRED'
  | 'AUTHORIZATION_REQUIRED'
  | 'REAUTHENTICATION_REQUIRED'
  | 'INVALID_PASSWORD'
  | 'INVALID_TOKEN'
  | 'USER_NOT_FOUND'
  | 'VALIDATION_ERROR'
  | 'PASSWORD_TOO_LONG'
  /** Thrown by the API edge (a PATCH that sends a password), kept here as LoopBack names it. */
  | 'PASSWORD_CHANGE_NOT_ALLOWED'
  /** Issue 17: the password was right, a second factor is needed (the API adds the mfaToken). */
  | 'MFA_REQUIRED'
  /** Issue 17: the second step's ticket is gone, expired or used up: log in again. */
  | 'MFA_EXPIRED'
  /** Issue 17: a wrong, reused or drifted authenticator code or recovery code. */
  | 'INVALID_CODE'
  /** Issue 17: a passkey response that did not verify (or passkeys are off). */
  | 'PASSKEY_REJECTED'
  /** Issue 16: the provider vouches for no usable email, so no account is found or made by it. */
  | 'IDENTITY_EMAIL_UNVERIFIED'
  /** Issue 16: that provider account is linked to another account of ours. */
  | 'IDENTITY_TAKEN'
  /** Issue 16: removing it would leave the account no way to log in. */
  | 'LAST_SIGN_IN_METHOD'
  /** Issue 16: the pending "log in, then connect" is gone, expired, or for another account. */
  | 'LINK_EXPIRED';

/**
 * Field → problem codes: `presence`, `custom.email`, `characters`, `format`, `uniqueness`,
 * `password.tooShort` (the minimum is the configured PASSWORD_MIN_LENGTH), `password.tooLong`,
 * `password.common`, `password.repetitive`, `password.matchesEmail`, `password.matchesUsername`,
 * and `currentPassword: ['invalid']` on REAUTHENTICATION_REQUIRED.
 */
export type FieldProblems = Record<string, string[]>;

/**
 * @deprecated LoopBack's `details` shape: the API presenter builds the real one (with words). Here
 * `messages` repeats the codes; kept only until tests that read `details.codes` move to `problems`.
 */
export type ValidationDetails = {
  codes: Record<string, string[]>;
  messages: Record<string, string[]>;
};

/** The one error the domain throws for a broken rule. */
export class AuthError extends Error {
  override name = 'AuthError';
  /** @deprecated Read `problems`. Removed once nothing reads it. */
  readonly details?: ValidationDetails;

  constructor(
    readonly code: AuthErrorCode,
    /** Field → problem codes, for VALIDATION_ERROR (and PASSWORD_TOO_LONG, REAUTHENTICATION_REQUIRED). */
    readonly problems?: FieldProblems,
  ) {
    // The code is the message: logs and stack traces stay readable, and no words leak into rules.
    super(code);
    if (problems) this.details = { codes: problems, messages: problems };
  }
}

/** Input that breaks a rule: each field's problem codes. */
export const invalidInput = (problems: FieldProblems) => new AuthError('VALIDATION_ERROR', problems);

export const loginFailed = () => new AuthError('LOGIN_FAILED');
export const emailNotVerified = () => new AuthError('LOGIN_FAILED_EMAIL_NOT_VERIFIED');
export const usernameOrEmailRequired = () => new AuthError('USERNAME_EMAIL_REQUIRED');
export const authorizationRequired = () => new AuthError('AUTHORIZATION_REQUIRED');
export const reauthenticationRequired = () => new AuthError('REAUTHENTICATION_REQUIRED');
export const invalidCurrentPassword = () => new AuthError('INVALID_PASSWORD');
export const userNotFound = () => new AuthError('USER_NOT_FOUND');
export const invalidVerificationToken = () => new AuthError('INVALID_TOKEN');
export const emailRequired = () => new AuthError('EMAIL_REQUIRED');

/** A password-policy problem (`password.tooShort`, `password.common`, …). */
export const passwordProblem = (problem: string) =>
  new AuthError('VALIDATION_ERROR', { password: [problem] });

/** LoopBack answers an over-long password with this code rather than cutting it silently. */
export const passwordTooLong = () => new AuthError('PASSWORD_TOO_LONG', { password: ['password.tooLong'] });
