import { completeWithCode, ticketAccount } from '../../auth/two-factor-login.js';
import type { AuthDeps } from '../../auth/types.js';
import { apiClient } from '../client-info.js';
import { defineEndpoint } from '../endpoint.js';
import { includedRelations } from '../input.js';
import { presentLogin } from '../present.js';
import { loginQuery, loginResultSchema, twoFactorLoginBody } from '../schemas.js';

export const twoFactorEndpoints = (auth: AuthDeps) => [
  defineEndpoint({
    method: 'post',
    path: '/users/login/two-factor',
    summary: 'Complete a two-factor login',
    description:
      'The mfaToken lasts 5 minutes from the password check. A code is accepted once (one 30-second step of clock drift); a recovery code once ever. Wrong codes are counted per account like wrong passwords; the 429 says when to retry. `?include=user` as on /users/login.',
    caller: 'anyone',
    body: { schema: twoFactorLoginBody, kind: 'model' },
    query: { schema: loginQuery, kind: 'argument' },
    throttle: [
      {
        kind: 'password',
        identifier: ({ body }) => `mfa:${ticketAccount(body.mfaToken)}`,
        failsOn: ['INVALID_CODE'],
      },
    ],
    responses: {
      200: { description: 'A new access token', schema: loginResultSchema },
      401: { description: 'INVALID_CODE, or MFA_EXPIRED (log in again with the password)' },
      422: { description: 'ValidationError: a missing or non-string field' },
      429: { description: 'TOO_MANY_REQUESTS, with Retry-After' },
    },
    async handler({ ctx, body }) {
      const includeUser = includedRelations(ctx.querystring).includes('user');
      const result = await completeWithCode(auth, body.mfaToken, body.code, apiClient(ctx));
      return { body: presentLogin(result, includeUser) };
    },
  }),
];
