import { AuthError } from '../../auth/errors.js';
import { signUp } from '../../auth/sign-up.js';
import type { AuthDeps } from '../../auth/types.js';
import { verifyEmail } from '../../auth/verification.js';
import { refuse } from '../../middleware/http-error.js';
import { mailKey } from '../../middleware/rate-limit.js';
import { safeRedirectPath } from '../../middleware/safe-redirect.js';
import { apiClient } from '../client-info.js';
import { defineEndpoint } from '../endpoint.js';
import { presentUser } from '../present.js';
import { confirmQuery, createUserBody, userSchema } from '../schemas.js';

/** Sign-up and email verification (LoopBack's `User.create` and `User.confirm`). */
export const signUpEndpoints = (auth: AuthDeps) => [
  defineEndpoint({
    method: 'post',
    path: '/users',
    summary: 'Sign up',
    description: 'Creates the user and emails a verification link. LoopBack `User.create`.',
    caller: 'anyone',
    body: { schema: createUserBody, kind: 'model' },
    throttle: [{ kind: 'mail', family: 'signup', email: ({ body }) => mailKey(body.email) }],
    responses: {
      200: { description: 'The new user', schema: userSchema },
      400: { description: 'The body is not a JSON object' },
      422: {
        description:
          'ValidationError: invalid or taken email/username (invisible or look-alike characters included), bad password, PASSWORD_TOO_LONG',
      },
    },
    async handler({ body }) {
      const user = await signUp(
        auth,
        { email: body.email, password: body.password, username: body.username ?? null },
        'reject',
      );
      // 'reject' never answers null: a taken email or username is LoopBack's 422.
      if (!user) throw new AuthError('VALIDATION_ERROR', { email: ['uniqueness'] });
      return { body: presentUser(user) };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/users/confirm',
    summary: 'Verify an email address',
    description:
      'LoopBack 3 API clients build their own links to this. The one GET that changes something: the emailed links open a page that confirms with a POST.',
    caller: 'anyone',
    query: { schema: confirmQuery, kind: 'argument' },
    responses: {
      204: { description: 'Verified' },
      302: { description: 'Verified; redirected to `redirect`' },
      400: {
        description: 'INVALID_TOKEN, INVALID_REDIRECT (not a path on this site), or a missing argument',
      },
      404: { description: 'USER_NOT_FOUND' },
    },
    async handler({ ctx, query }) {
      // Checked before the token is spent, so a link with a bad redirect can be fixed and used again.
      const redirect = query.redirect === undefined ? null : safeRedirectPath(query.redirect);
      if (query.redirect !== undefined && !redirect)
        throw refuse(400, 'INVALID_REDIRECT', 'redirect must be a path on this site.');
      await verifyEmail(auth, query.uid, query.token, apiClient(ctx));
      return redirect ? { redirect } : undefined;
    },
  }),
];
