import type { AuthError } from '../auth/errors.js';
import type { TranslateError } from '../middleware/errors.js';
import { HttpError } from '../middleware/http-error.js';

/**
 * The API's words for the domain's codes: LoopBack 3's status and English for each, so its clients
 * parse what they always parsed. The domain knows codes only; this table is the one place a code
 * becomes a status on the API.
 */
const ANSWERS: Record<string, readonly [number, string]> = {
  LOGIN_FAILED: [401, 'login failed'],
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: [401, 'login failed as the email has not been verified'],
  USERNAME_EMAIL_REQUIRED: [400, 'username or email is required'],
  EMAIL_REQUIRED: [400, 'Email is required'],
  AUTHORIZATION_REQUIRED: [401, 'Authorization Required'],
  REAUTHENTICATION_REQUIRED: [
    401,
    'Send currentPassword, or log in again: this change needs a token issued in the last 10 minutes',
  ],
  INVALID_PASSWORD: [400, 'Invalid current password'],
  INVALID_TOKEN: [400, 'Invalid or expired verification link'],
  USER_NOT_FOUND: [404, 'User not found'],
  PASSWORD_TOO_LONG: [422, 'The password is longer than 72 bytes; bcrypt would cut it silently.'],
  VALIDATION_ERROR: [422, 'The `user` instance is not valid.'],
  PASSWORD_CHANGE_NOT_ALLOWED: [
    401,
    'Changing user password via patch/replace API is not allowed. Use changePassword() or setPassword() instead.',
  ],
  // Issue 17 (two-factor sign-in).
  MFA_REQUIRED: [
    401,
    'A second factor is required: POST details.mfaToken and a code to /api/users/login/two-factor',
  ],
  MFA_EXPIRED: [401, 'The two-factor sign-in expired or was used up: log in again'],
  INVALID_CODE: [401, 'The code is not right, or it was used already'],
  PASSKEY_REJECTED: [401, 'The passkey was not accepted'],
};

/** LoopBack's words for each field problem. */
function problemWords(field: string, problem: string, minLength: number): string {
  switch (problem) {
    case 'uniqueness':
      return field === 'email' ? 'Email already exists' : 'User already exists';
    case 'presence':
      return "can't be blank";
    case 'custom.email':
      return 'must be a valid email';
    case 'characters':
      return 'must not contain invisible, direction-changing or look-alike characters';
    case 'format':
      return 'must be 1 to 64 characters without spaces or @';
    case 'password.tooLong':
      return 'must be at most 72 bytes';
    case 'password.tooShort':
      return `must be at least ${minLength} characters`;
    case 'password.common':
      return 'is one of the most common passwords; choose another';
    case 'password.repetitive':
      return 'is a repeated or sequential pattern; choose another';
    case 'password.matchesEmail':
      return 'must not be your email address';
    case 'password.matchesUsername':
      return 'must not be your username';
    default:
      return problem;
  }
}

/** Field problem codes → LoopBack's ValidationError `details` and its summary sentence. */
export function validationDetails(problems: Record<string, readonly string[]>, minLength: number) {
  const codes: Record<string, string[]> = {};
  const messages: Record<string, string[]> = {};
  for (const [field, list] of Object.entries(problems)) {
    codes[field] = [...list];
    messages[field] = list.map((problem) => problemWords(field, problem, minLength));
  }
  const summary = Object.entries(messages)
    .map(([field, list]) => `\`${field}\` ${list.join('; ')}`)
    .join('; ');
  return { details: { codes, messages }, summary };
}

/** The API's TranslateError: an AuthError in LoopBack's status, name and words. */
export function presentAuthError(options: { passwordMinLength: number }): TranslateError {
  return (error: AuthError) => {
    const answer = ANSWERS[error.code];
    if (!answer) return null;
    const [status, words] = answer;
    // The second step's ticket (issue 17): the only AuthError that carries something to hand back.
    const mfaToken = (error as AuthError & { mfaToken?: unknown }).mfaToken;
    if (typeof mfaToken === 'string')
      return new HttpError(status, error.code, words, { handBack: { mfaToken } });
    const problems = error.problems;
    if (!problems) return new HttpError(status, error.code, words);
    const { details, summary } = validationDetails(problems, options.passwordMinLength);
    if (error.code !== 'VALIDATION_ERROR') return new HttpError(status, error.code, words, { details });
    return new HttpError(status, error.code, `${words} Details: ${summary}.`, {
      name: 'ValidationError',
      details,
    });
  };
}
