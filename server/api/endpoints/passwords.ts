import { changePassword } from '../../auth/password-change.js';
import { isResetTokenValid, requestPasswordReset, resetPassword } from '../../auth/password-reset.js';
import type { AuthDeps } from '../../auth/types.js';
import { endPageSession, pageSessionToken } from '../../middleware/page-session.js';
import { identifierKey, type Limiter, mailKey } from '../../middleware/rate-limit.js';
import { apiClient } from '../client-info.js';
import { defineEndpoint } from '../endpoint.js';
import { changePasswordBody, resetBody, resetPasswordBody } from '../schemas.js';

export { isResetTokenValid };

/** Forgotten and changed passwords. */
export const passwordEndpoints = (auth: AuthDeps, limiter: Limiter | null) => [
  defineEndpoint({
    method: 'post',
    path: '/users/reset',
    summary: 'Ask for a password-reset email',
    description:
      'Answers 204 whether or not the email has an account (LoopBack answered 404). Limited per address and per email (the email budget refills in minutes).',
    caller: 'anyone',
    body: { schema: resetBody, kind: 'argument' },
    throttle: [{ kind: 'mail', family: 'reset', email: ({ body }) => mailKey(body.email ?? '') }],
    responses: {
      204: { description: 'Accepted; a known address gets an email with a reset link' },
      400: { description: 'EMAIL_REQUIRED, or an email that is not a string' },
      429: { description: 'TOO_MANY_REQUESTS, with Retry-After' },
    },
    async handler({ body }) {
      await requestPasswordReset(auth, body.email ?? '');
      return undefined;
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/users/reset-password',
    summary: 'Set a new password with a reset token',
    description:
      'The token is the one from the emailed link, sent like an access token. A login token is refused; the reset token is spent, every token of the user is deleted, and the account’s failed log-in counts are cleared.',
    caller: 'reset-token',
    body: { schema: resetPasswordBody, kind: 'argument' },
    responses: {
      204: { description: 'The password is changed' },
      400: { description: 'newPassword missing or not a string' },
      401: { description: 'No valid reset token' },
      422: { description: 'The new password breaks the policy (ValidationError, PASSWORD_TOO_LONG)' },
    },
    async handler({ ctx, body, resetToken }) {
      const user = await resetPassword(auth, resetToken, body.newPassword, apiClient(ctx));
      // The reset proved the mailbox: whatever someone else guessed, the owner gets in at once.
      await limiter?.clearAccount(ctx, [identifierKey(user.email), identifierKey(user.username ?? '')]);
      if (pageSessionToken(ctx) === resetToken) endPageSession(ctx);
      return undefined;
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/users/change-password',
    summary: 'Change the password',
    description: "The caller's token stays valid; every other token of the user is deleted.",
    caller: 'access-token',
    body: { schema: changePasswordBody, kind: 'argument' },
    throttle: [
      {
        kind: 'password',
        identifier: ({ auth: current }) => identifierKey(current?.user.email ?? ''),
        failsOn: ['INVALID_PASSWORD'],
      },
    ],
    responses: {
      204: { description: 'The password is changed' },
      400: { description: 'INVALID_PASSWORD (wrong old password), or a missing argument' },
      401: { description: 'No valid access token' },
      422: { description: 'The new password breaks the policy' },
      429: { description: 'TOO_MANY_REQUESTS: too many wrong current passwords' },
    },
    async handler({ ctx, body, auth: current }) {
      // LoopBack's API keeps the caller's token; every other token of the user is deleted.
      await changePassword(
        auth,
        current.user,
        body.oldPassword,
        body.newPassword,
        { keep: current.token },
        apiClient(ctx),
      );
      return undefined;
    },
  }),
];
