import * as z from 'zod';
import { listActivity } from '../../auth/activity.js';
import type { AuthDeps } from '../../auth/types.js';
import { defineEndpoint } from '../endpoint.js';

/** A page is at most this long; `before` pages on (the last id of the previous page). */
const PAGE = 50;

const activityQuery = z.object({
  before: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be a whole number' })
    .optional()
    .meta({ description: 'Only entries older than this id: the last `id` of the previous page.' }),
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be 1 to 50' })
    .max(PAGE, { error: 'must be 1 to 50' })
    .optional()
    .meta({ description: 'Entries per page, 1 to 50 (default 50).' }),
});

export const activityListSchema = z
  .array(
    z.object({
      id: z.number().int(),
      at: z.string().meta({ format: 'date-time' }),
      type: z.string().meta({ description: 'login, login-failed, logout, password-changed, ...' }),
      method: z.string().nullable(),
      ip: z.string().nullable(),
      device: z.string().nullable(),
      detail: z.record(z.string(), z.string()),
    }),
  )
  .meta({ description: 'The account’s security activity, newest first; never a secret.' });

/** Issue 14: the account's security activity log, to its owner only. */
export const activityEndpoints = (auth: AuthDeps) => [
  defineEndpoint({
    method: 'get',
    path: '/users/:id/activity',
    summary: "The user's security activity, newest first",
    description:
      'Sign-ins (and failures), log-outs, revoked sessions, password and email changes, verification; kept SECURITY_LOG_DAYS days and capped per account. Page with `before` = the last id.',
    caller: 'owner',
    query: { schema: activityQuery, kind: 'argument' },
    responses: {
      200: { description: 'A page of entries', schema: activityListSchema },
      401: { description: 'No valid access token, or the id is not the caller' },
      400: { description: 'INVALID_ARGUMENT: a `before` or `limit` that is not a whole number in range' },
    },
    async handler({ auth: current, query }) {
      const entries = await listActivity(auth, current.user.id, {
        ...(query.before === undefined ? {} : { before: query.before }),
        limit: query.limit ?? PAGE,
      });
      return {
        body: entries.map((entry) => ({
          id: entry.id,
          at: entry.at,
          type: entry.type,
          method: entry.method ?? null,
          ip: entry.ip ?? null,
          device: entry.device ?? null,
          detail: { ...(entry.detail ?? {}) },
        })),
      };
    },
  }),
];
