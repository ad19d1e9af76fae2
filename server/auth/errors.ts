/**
 * The domain's one error type: a LoopBack 3 `code` and, for invalid input, the problem codes of
 * each field. No HTTP status and no English: the API's presenter and each form word it.
 *
 * Expand-then-contract: the fields marked legacy (`status`, `name`, `message`, `details`,
 * `retryAfter`) keep the web layer working while it moves to its own code → status table; they go
 * once nothing reads them.
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
  | 'PASSWORD_TOO_LONG';

/** Field → problem codes (`presence`, `custom.email`, `characters`, `uniqueness`, `password.tooShort` …). */
export type FieldProblems = Record<string, string[]>;

/** Legacy: per-field reasons in LoopBack's ValidationError `details` shape. */
export type ValidationDetails = {
  codes: Record<string, string[]>;
  messages: Record<string, string[]>;
};

/** Legacy: the status and English each code had before the web layer owned them. */
const LEGACY: Record<string, [number, string]> = {
  LOGIN_FAILED: [401, 'login failed'],
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: [401, 'login failed as the email has not been verified'],
  USERNAME_EMAIL_REQUIRED: [400, 'username or email is required'],
  EMAIL_REQUIRED: [400, 'Email is required'],
  AUTHORIZATION_REQUIRED: [401, 'Authorization Required'],
  REAUTHENTICATION_REQUIRED: [401, 'Enter your current password to make this change'],
  INVALID_PASSWORD: [400, 'Invalid current password'],
  INVALID_TOKEN: [400, 'Invalid or expired verification link'],
  USER_NOT_FOUND: [404, 'User not found'],
  PASSWORD_TOO_LONG: [422, 'The password is longer than 72 bytes; bcrypt would cut it silently.'],
};

/** Legacy: LoopBack's words for each field problem (the API presenter will own them). */
const LEGACY_PROBLEM_WORDS: Record<string, string> = {
  presence: "can't be blank",
  'custom.email': 'must be a valid email',
  characters: 'must not contain invisible or look-alike characters',
  format: 'must be 1 to 64 characters without spaces or @',
  'password.tooLong': 'must be at most 72 bytes',
  'password.tooShort': 'is too short',
  'password.common': 'is one of the most common passwords; choose another',
  'password.repetitive': 'is a repeated or sequential pattern; choose another',
  'password.matchesEmail': 'must not be your email address',
  'password.matchesUsername': 'must not be your username',
};

function legacyWords(field: string, problem: string): string {
  if (problem === 'uniqueness') return field === 'email' ? 'Email already exists' : 'User already exists';
  return LEGACY_PROBLEM_WORDS[problem] ?? problem;
}

/** The one error the domain throws for a broken rule. */
export class AuthError extends Error {
  /** Legacy: LoopBack's `statusCode` for the code. */
  readonly status: number;
  /** Legacy: per-field codes and English. */
  readonly details?: ValidationDetails;
  /** Field → problem codes, for VALIDATION_ERROR (and PASSWORD_TOO_LONG). */
  readonly problems?: FieldProblems;

  /**
   * New style: `new AuthError(code, problems?)`. Legacy style (web layer, until it moves):
   * `new AuthError(status, name, code, message, details?, retryAfter?)`.
   */
  constructor(
    code: string | number,
    problemsOrName?: FieldProblems | string,
    legacyCode?: string,
    message?: string,
    details?: ValidationDetails,
    /** Legacy: seconds until a throttled caller may try again (429 only). */
    readonly retryAfter?: number,
  ) {
    if (typeof code === 'number') {
      super(message ?? '');
      this.status = code;
      this.name = typeof problemsOrName === 'string' ? problemsOrName : 'Error';
      this.code = legacyCode ?? 'ERROR';
      if (details) {
        this.details = details;
        this.problems = details.codes;
      }
      return;
    }
    const problems = typeof problemsOrName === 'object' ? problemsOrName : undefined;
    const [status, words] = LEGACY[code] ?? [422, ''];
    super(problems && code === 'VALIDATION_ERROR' ? legacySummary(problems, message) : words);
    this.code = code;
    this.status = code === 'VALIDATION_ERROR' ? 422 : status;
    this.name = code === 'VALIDATION_ERROR' ? 'ValidationError' : 'Error';
    if (problems) {
      this.problems = problems;
      this.details = legacyDetails(problems, message);
    }
  }

  readonly code: string;
}

function legacyDetails(problems: FieldProblems, passwordWords?: string): ValidationDetails {
  const codes: Record<string, string[]> = {};
  const messages: Record<string, string[]> = {};
  for (const [field, list] of Object.entries(problems)) {
    codes[field] = [...list];
    messages[field] = list.map((problem) =>
      field === 'password' && passwordWords ? passwordWords : legacyWords(field, problem),
    );
  }
  return { codes, messages };
}

function legacySummary(problems: FieldProblems, passwordWords?: string): string {
  const summary = Object.entries(legacyDetails(problems, passwordWords).messages)
    .map(([field, list]) => `\`${field}\` ${list.join('; ')}`)
    .join('; ');
  return `The \`user\` instance is not valid. Details: ${summary}.`;
}

/** Input that breaks a rule: each field's problem codes. */
export const invalidInput = (problems: FieldProblems) => new AuthError('VALIDATION_ERROR', problems);

export const loginFailed = () => new AuthError('LOGIN_FAILED');
export const emailNotVerified = () => new AuthError('LOGIN_FAILED_EMAIL_NOT_VERIFIED');
export const usernameOrEmailRequired = () => new AuthError('USERNAME_EMAIL_REQUIRED');
export const authorizationRequired = () => new AuthError('AUTHORIZATION_REQUIRED');
export const reauthenticationRequired = () => new AuthError('REAUTHENTICATION_REQUIRED');
export const invalidCurrentPassword = () => new AuthError('INVALID_PASSWORD');
export const userNotFound = (id: string | number) =>
  new AuthError(404, 'Error', 'USER_NOT_FOUND', `User not found: ${String(id).slice(0, 64)}`);
export const invalidVerificationToken = () => new AuthError('INVALID_TOKEN');
export const emailRequired = () => new AuthError('EMAIL_REQUIRED');

/**
 * A password-policy problem. The minimum length is in the legacy words only (`must be at least N
 * characters`); the code is `password.tooShort`.
 */
export function passwordProblem(problem: string, minLength: number): AuthError {
  const words = problem === 'password.tooShort' ? `must be at least ${minLength} characters` : undefined;
  const error = new AuthError('VALIDATION_ERROR', { password: [problem] });
  if (!words) return error;
  return new AuthError(
    422,
    'ValidationError',
    'VALIDATION_ERROR',
    legacySummary({ password: [problem] }, words),
    legacyDetails({ password: [problem] }, words),
  );
}

/** LoopBack answers an over-long password with this code rather than cutting it silently. */
export const passwordTooLong = () => new AuthError('PASSWORD_TOO_LONG', { password: ['password.tooLong'] });

// ---- Legacy web-layer errors: they move to server/middleware/http-error.ts (API helper). ----

/** @deprecated Legacy: a 422 (or `status`) ValidationError from `{code, message}` problems. */
export function validationFailed(
  fields: Record<string, { code: string; message: string }[]>,
  status = 422,
): AuthError {
  const codes: Record<string, string[]> = {};
  const messages: Record<string, string[]> = {};
  for (const [field, problems] of Object.entries(fields)) {
    codes[field] = problems.map((problem) => problem.code);
    messages[field] = problems.map((problem) => problem.message);
  }
  const summary = Object.entries(messages)
    .map(([field, list]) => `\`${field}\` ${list.join('; ')}`)
    .join('; ');
  return new AuthError(
    status,
    'ValidationError',
    'VALIDATION_ERROR',
    `The \`user\` instance is not valid. Details: ${summary}.`,
    { codes, messages },
  );
}

/** @deprecated Legacy web error. */
export const passwordChangeNotAllowed = () =>
  new AuthError(
    401,
    'Error',
    'PASSWORD_CHANGE_NOT_ALLOWED',
    'Changing user password via patch/replace API is not allowed. Use changePassword() or setPassword() instead.',
  );
/** @deprecated Legacy web error. */
export const tooManyRequests = (retryAfter: number) =>
  new AuthError(
    429,
    'Error',
    'TOO_MANY_REQUESTS',
    'Too many attempts. Please wait before trying again.',
    undefined,
    retryAfter,
  );
/** @deprecated Legacy web error: a request the web edge refuses before any rule runs. */
export const requestRefused = (status: number, code: string, message: string) =>
  new AuthError(status, 'Error', code, message);
/** @deprecated Legacy web error. */
export const notFound = () => requestRefused(404, 'NOT_FOUND', 'There is nothing at this address.');
/** @deprecated Legacy web error. */
export const csrfRejected = () =>
  requestRefused(
    403,
    'EBADCSRFTOKEN',
    'This form has expired or did not come from this site. Reload the page and try again.',
  );
