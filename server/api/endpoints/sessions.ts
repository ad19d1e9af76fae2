import {
  listAccessTokens,
  logInSteps,
  logOut,
  logOutEverywhere,
  revokeAccessToken,
} from '../../auth/sessions.js';
import { SecondFactorRequired } from '../../auth/two-factor-login.js';
import type { AuthDeps } from '../../auth/types.js';
import type { RequestAuth } from '../../middleware/access-token.js';
import { refuse } from '../../middleware/http-error.js';
import { endPageSession } from '../../middleware/page-session.js';
import { identifierKey } from '../../middleware/rate-limit.js';
import { apiClient } from '../client-info.js';
import { defineEndpoint } from '../endpoint.js';
import { includedRelations } from '../input.js';
import { LISTING_ID_LENGTH, presentAccessToken, presentLogin } from '../present.js';
import { accessTokenListSchema, loginBody, loginQuery, loginResultSchema } from '../schemas.js';

const unauthorized = { description: 'No valid access token, or the id is not the caller' };

/** A deleted token must not stay in the browser's session cookie either. */
function forgetSession(ctx: Parameters<typeof endPageSession>[0], current: RequestAuth) {
  if (current.transport === 'session') endPageSession(ctx);
}

/** Logging in and out, and the user's login tokens. */
export const sessionEndpoints = (auth: AuthDeps) => [
  defineEndpoint({
    method: 'post',
    path: '/users/login',
    summary: 'Log in',
    description:
      'Issues an access token. `?include=user` (in any LoopBack 3 form) adds the user. Failures are counted per identifier, per address and per device; the 429 says when to retry.',
    caller: 'anyone',
    body: { schema: loginBody, kind: 'model' },
    query: { schema: loginQuery, kind: 'argument' },
    throttle: [
      {
        kind: 'password',
        identifier: ({ body }) => identifierKey(body.email || body.username || ''),
        failsOn: ['LOGIN_FAILED', 'LOGIN_FAILED_EMAIL_NOT_VERIFIED'],
      },
    ],
    responses: {
      200: { description: 'A new access token', schema: loginResultSchema },
      400: { description: 'USERNAME_EMAIL_REQUIRED, or a bad `include`/`filter`' },
      401: {
        description:
          'LOGIN_FAILED, LOGIN_FAILED_EMAIL_NOT_VERIFIED, or MFA_REQUIRED (two-factor account: `details.mfaToken`, valid 5 minutes, goes to POST /users/login/two-factor)',
      },
      422: {
        description:
          'ValidationError: a ttl that is not a positive whole number, or a field of the wrong type',
      },
      429: { description: 'TOO_MANY_REQUESTS, with Retry-After; a reset always gets the owner in' },
    },
    async handler({ ctx, body }) {
      const includeUser = includedRelations(ctx.querystring).includes('user');
      const step = await logInSteps(auth, {
        ...(body.email ? { email: body.email } : {}),
        ...(body.username ? { username: body.username } : {}),
        password: body.password ?? '',
        ...(body.ttl !== undefined ? { ttl: body.ttl } : {}),
        // Issue 14: the token records where it was issued (listed in GET accessTokens).
        client: apiClient(ctx),
      });
      // Issue 17: an account with a second factor gets 401 MFA_REQUIRED with details.mfaToken.
      if ('secondStep' in step) throw new SecondFactorRequired(step.secondStep.ticket);
      return { body: presentLogin(step.session, includeUser) };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/users/logout',
    summary: 'Log out (this token)',
    caller: 'access-token',
    responses: { 204: { description: 'The token is deleted' }, 401: unauthorized },
    async handler({ ctx, auth: current }) {
      await logOut(auth, current.token, apiClient(ctx));
      forgetSession(ctx, current);
      return undefined;
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/users/:id/accessTokens',
    summary: "List the user's live login tokens",
    caller: 'owner',
    responses: {
      200: { description: 'Token metadata, never a secret', schema: accessTokenListSchema },
      401: unauthorized,
    },
    async handler({ auth: current }) {
      const tokens = await listAccessTokens(auth, current.user.id);
      return { body: tokens.map((token) => presentAccessToken(token, current.token.hash)) };
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/users/:id/accessTokens',
    summary: 'Log out everywhere',
    caller: 'owner',
    responses: { 204: { description: 'Every login token of the user is deleted' }, 401: unauthorized },
    async handler({ ctx, auth: current }) {
      await logOutEverywhere(auth, current.user.id, apiClient(ctx));
      forgetSession(ctx, current);
      return undefined;
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/users/:id/accessTokens/:fk',
    summary: 'Revoke one login token',
    description: '`:fk` is a token id as GET accessTokens lists it.',
    caller: 'owner',
    responses: {
      204: { description: 'The token is deleted' },
      401: unauthorized,
      404: { description: 'NOT_FOUND: no live token of the user has this id' },
    },
    async handler({ ctx, auth: current }) {
      const fk = String(ctx.params.fk ?? '');
      const tokens = await listAccessTokens(auth, current.user.id);
      // Issue 14: the token's public id; a token issued before it had one is listed by a hash prefix.
      const token =
        tokens.find((t) => t.id !== undefined && t.id === fk) ??
        (fk.length === LISTING_ID_LENGTH
          ? tokens.find((t) => t.id === undefined && t.hash.startsWith(fk))
          : undefined);
      if (!token || !(await revokeAccessToken(auth, current.user.id, token.hash, apiClient(ctx))))
        throw refuse(404, 'NOT_FOUND', 'No such token.');
      if (token.hash === current.token.hash) forgetSession(ctx, current);
      return undefined;
    },
  }),
];
