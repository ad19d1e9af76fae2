import { deleteAccount, updateProfile } from '../../auth/account.js';
import { AuthError } from '../../auth/errors.js';
import { linkedProviders } from '../../auth/identities.js';
import type { AuthDeps } from '../../auth/types.js';
import { endPageSession } from '../../middleware/page-session.js';
import { identifierKey, mailKey } from '../../middleware/rate-limit.js';
import { apiClient } from '../client-info.js';
import { defineEndpoint } from '../endpoint.js';
import { hasField } from '../input.js';
import { presentUser } from '../present.js';
import { deleteCountSchema, deleteUserBody, patchUserBody, userSchema } from '../schemas.js';

const unauthorized = { description: 'No valid access token, or the id is not the caller' };
const reauthentication = {
  description:
    'REAUTHENTICATION_REQUIRED: no currentPassword and a token older than 10 minutes, or a wrong currentPassword',
};

/** A wrong `currentPassword` is a guess at the password, counted like a failed login. */
const currentPasswordGuess = {
  kind: 'password' as const,
  identifier: ({
    body,
    auth,
  }: {
    body: { currentPassword?: string | undefined };
    auth: { user: { email: string } } | null;
  }) => (body.currentPassword === undefined ? null : identifierKey(auth?.user.email ?? '')),
  failsOn: ['REAUTHENTICATION_REQUIRED'],
};

/** The owner's account: read, change, delete (LoopBack's findById, patchAttributes, deleteById). */
export const accountEndpoints = (auth: AuthDeps) => [
  defineEndpoint({
    method: 'get',
    path: '/users/:id',
    summary: 'Read the user',
    caller: 'owner',
    responses: {
      200: { description: 'The user', schema: userSchema },
      400: { description: 'An id that is neither a whole number nor `me`' },
      401: unauthorized,
    },
    async handler({ auth: current }) {
      return { body: presentUser(current.user, await linkedProviders(auth, current.user.id)) };
    },
  }),
  defineEndpoint({
    method: 'patch',
    path: '/users/:id',
    summary: 'Change email or username',
    description:
      'A new email needs currentPassword (or a token issued in the last 10 minutes) and stays pending: the old one keeps working until the link sent to the new address is followed, and the old address is told at once with a link that cancels the change. The answer is the same whether or not someone else has the new address. Email changes are limited per account, per address and per target email.',
    caller: 'owner',
    body: { schema: patchUserBody, kind: 'model' },
    throttle: [
      currentPasswordGuess,
      {
        kind: 'mail',
        family: 'email-change',
        email: ({ body }) => (body.email === undefined ? null : mailKey(body.email)),
      },
    ],
    responses: {
      200: { description: 'The user (an email change shows as pending)', schema: userSchema },
      400: { description: 'The body is not a JSON object, or a bad id' },
      401: {
        description: `No valid token, another user, PASSWORD_CHANGE_NOT_ALLOWED, or ${reauthentication.description}`,
      },
      422: { description: 'ValidationError: invalid email, invalid or taken username' },
      429: { description: 'TOO_MANY_REQUESTS, with Retry-After' },
    },
    async handler({ ctx, body, rawBody, auth: current }) {
      // LB3's rejectPasswordChangesViaPatchOrReplace: a password changes only with proof.
      if (hasField(rawBody, 'password')) throw new AuthError('PASSWORD_CHANGE_NOT_ALLOWED');
      const updated = await updateProfile(
        auth,
        current,
        {
          ...(body.email !== undefined ? { email: body.email } : {}),
          ...(body.username !== undefined ? { username: body.username } : {}),
          ...(body.currentPassword !== undefined ? { currentPassword: body.currentPassword } : {}),
        },
        apiClient(ctx),
      );
      return { body: presentUser(updated, await linkedProviders(auth, updated.id)) };
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/users/:id',
    summary: 'Delete the account',
    description: 'Needs currentPassword in the body, or a token issued in the last 10 minutes.',
    caller: 'owner',
    body: { schema: deleteUserBody, kind: 'argument' },
    throttle: [currentPasswordGuess],
    responses: {
      200: { description: 'Deleted, with its tokens', schema: deleteCountSchema },
      401: { description: `${unauthorized.description}, or ${reauthentication.description}` },
    },
    async handler({ ctx, body, auth: current }) {
      await deleteAccount(
        auth,
        current,
        body.currentPassword === undefined ? {} : { currentPassword: body.currentPassword },
        apiClient(ctx),
      );
      if (current.transport === 'session') endPageSession(ctx);
      // LoopBack's deleteById answer.
      return { body: { count: 1 } };
    },
  }),
];
