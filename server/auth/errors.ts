/** Per-field reasons, in LoopBack's ValidationError `details` shape. */
export type ValidationDetails = {
  codes: Record<string, string[]>;
  messages: Record<string, string[]>;
};

/**
 * The one error the domain throws for a broken rule. `status`, `name` and `code` follow LoopBack 3,
 * so the API can answer its clients in the envelope they already parse; pages show `message`.
 */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    override readonly name: string,
    readonly code: string,
    message: string,
    readonly details?: ValidationDetails,
    /** Seconds until a throttled caller may try again (429 only). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const error = (status: number, code: string, message: string) =>
  new AuthError(status, 'Error', code, message);

export const loginFailed = () => error(401, 'LOGIN_FAILED', 'login failed');
export const emailNotVerified = () =>
  error(401, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED', 'login failed as the email has not been verified');
export const usernameOrEmailRequired = () =>
  error(400, 'USERNAME_EMAIL_REQUIRED', 'username or email is required');
export const authorizationRequired = () => error(401, 'AUTHORIZATION_REQUIRED', 'Authorization Required');
export const invalidCurrentPassword = () => error(400, 'INVALID_PASSWORD', 'Invalid current password');
export const userNotFound = (id: string) =>
  error(404, 'USER_NOT_FOUND', `User not found: ${id.slice(0, 64)}`);
export const invalidVerificationToken = () =>
  error(400, 'INVALID_TOKEN', 'Invalid or expired verification link');
export const emailRequired = () => error(400, 'EMAIL_REQUIRED', 'Email is required');
export const passwordChangeNotAllowed = () =>
  error(
    401,
    'PASSWORD_CHANGE_NOT_ALLOWED',
    'Changing user password via patch/replace API is not allowed. Use changePassword() or setPassword() instead.',
  );
export const tooManyRequests = (retryAfter: number) =>
  new AuthError(
    429,
    'Error',
    'TOO_MANY_REQUESTS',
    'Too many attempts. Please wait before trying again.',
    undefined,
    retryAfter,
  );

/** A 422 ValidationError for one or more fields, as LoopBack's `User` model reports them. */
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
    {
      codes,
      messages,
    },
  );
}

/** LoopBack answers an over-long password with this code rather than cutting it silently. */
export const passwordTooLong = () =>
  new AuthError(
    422,
    'Error',
    'PASSWORD_TOO_LONG',
    'The password is longer than 72 bytes; bcrypt would cut it silently.',
    {
      codes: { password: ['password.tooLong'] },
      messages: { password: ['must be at most 72 bytes'] },
    },
  );

/** A request the web edge refuses before any rule runs (bad body, bad form, CSRF, unknown route). */
export const requestRefused = (status: number, code: string, message: string) => error(status, code, message);
export const notFound = () => error(404, 'NOT_FOUND', 'There is nothing at this address.');
export const csrfRejected = () =>
  error(
    403,
    'EBADCSRFTOKEN',
    'This form has expired or did not come from this site. Reload the page and try again.',
  );
