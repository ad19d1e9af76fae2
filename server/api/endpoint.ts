import type { Context } from 'koa';
import type { z } from 'zod';
import { AuthError } from '../auth/errors.js';
import { authOf, findTokenInRequest, type RequestAuth } from '../middleware/access-token.js';
import { refuse } from '../middleware/http-error.js';
import type { Attempt, Limiter, MailFamily, Outcome } from '../middleware/rate-limit.js';
import { type InputKind, readInput } from './input.js';

/**
 * One declaration per endpoint (better-auth's `createAuthEndpoint` is the model): method, path,
 * input schemas, who may call it, its throttle, its responses and its handler. The router, the
 * OpenAPI document and the limiter are built from the list in endpoints/index.ts, so adding an
 * endpoint is one declaration; nothing else lists routes.
 */

/**
 * Who may call: anyone; the holder of a login token; the holder of an emailed reset token (read
 * here, never by the login lookup: a login token must not reset a password and a reset token opens
 * nothing else); or the owner of `:id` (`me` or their own id).
 */
export type Caller = 'anyone' | 'access-token' | 'reset-token' | 'owner';

/** What a handler receives: the parsed input and the proven caller. */
export type Call<B, Q, C extends Caller> = {
  ctx: Context;
  body: B;
  query: Q;
  /** The raw body, for checks the schema cannot make (a field that must be absent). */
  rawBody: unknown;
  auth: C extends 'access-token' | 'owner' ? RequestAuth : RequestAuth | null;
  /** The reset token's secret (`reset-token` endpoints only). */
  resetToken: C extends 'reset-token' ? string : null;
};

/** What a handler answers: a JSON body (200 unless `status`), a redirect, or nothing (204). */
export type Answer = { status?: number; body?: unknown; redirect?: string } | undefined;

/**
 * A throttle an endpoint declares. `password`: a password is checked against `identifier` (null:
 * no password in this call); errors with a code in `failsOn` count as failed guesses, anything
 * else refused is given back.
 * `mail`: the endpoint sends mail to `email` (none: not throttled); a refused request costs nothing.
 */
export type Throttle<B, Q, C extends Caller> =
  | { kind: 'password'; identifier: (call: Call<B, Q, C>) => string | null; failsOn: readonly string[] }
  | { kind: 'mail'; family: MailFamily; email: (call: Call<B, Q, C>) => string | null };

export type Responses = Record<number, { description: string; schema?: z.ZodType }>;

export type EndpointSpec<B extends z.ZodType, Q extends z.ZodType, C extends Caller> = {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Under /api, `:param` style. */
  path: string;
  summary: string;
  description?: string;
  caller: C;
  body?: { schema: B; kind: InputKind };
  query?: { schema: Q; kind: InputKind };
  throttle?: readonly Throttle<z.output<B>, z.output<Q>, C>[];
  responses: Responses;
  handler: (call: Call<z.output<B>, z.output<Q>, C>) => Promise<Answer>;
};

/** A declared endpoint, its types erased for the list. */
export type Endpoint = Omit<EndpointSpec<z.ZodType, z.ZodType, Caller>, 'handler' | 'throttle'> & {
  handler: (call: Call<unknown, unknown, Caller>) => Promise<Answer>;
  throttle?: readonly Throttle<unknown, unknown, Caller>[];
};

/** Declares an endpoint; the types of its handler follow from its schemas and caller. */
export function defineEndpoint<B extends z.ZodType, Q extends z.ZodType, C extends Caller>(
  spec: EndpointSpec<B, Q, C>,
): Endpoint {
  return spec as unknown as Endpoint;
}

/** How the API's context gives the endpoint what it needs. */
export type EndpointTools = {
  limiter: Limiter | null;
  /** Whether a reset token is good, without spending it. */
  isResetToken: (secret: string) => Promise<boolean>;
};

// Ids are whole numbers from 1 (LoopBack 3's default); `me` is the caller. Anything else (a
// client that turned an id into `NaN`) is a clear 400, which tells nothing about any account.
const ID_PARAM = /^(me|[1-9]\d{0,15}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

async function callerOf(endpoint: Endpoint, ctx: Context, tools: EndpointTools) {
  const auth = authOf(ctx);
  if (endpoint.caller === 'anyone') return { auth, resetToken: null };
  if (endpoint.caller === 'reset-token') {
    const found = findTokenInRequest(ctx);
    if (!found || !(await tools.isResetToken(found.secret))) throw new AuthError('AUTHORIZATION_REQUIRED');
    return { auth: null, resetToken: found.secret };
  }
  if (endpoint.caller === 'owner') {
    const id = String(ctx.params.id ?? '');
    if (!ID_PARAM.test(id)) throw refuse(400, 'INVALID_ARGUMENT', 'The id must be a whole number or `me`.');
    // Anyone else's id is the same 401 as no token, as LoopBack's `$owner` rule answered.
    if (!auth || (id.toLowerCase() !== 'me' && id !== String(auth.user.id)))
      throw new AuthError('AUTHORIZATION_REQUIRED');
  }
  if (!auth) throw new AuthError('AUTHORIZATION_REQUIRED');
  return { auth, resetToken: null };
}

function outcomeOf(throttle: Throttle<unknown, unknown, Caller>, thrown: unknown): Outcome {
  if (thrown === undefined) return throttle.kind === 'password' ? 'success' : 'failure';
  if (throttle.kind === 'mail') return 'not-counted';
  return thrown instanceof AuthError && !throttle.failsOn.includes(thrown.code) ? 'not-counted' : 'failure';
}

async function takeAttempt(
  limiter: Limiter,
  throttle: Throttle<unknown, unknown, Caller>,
  call: Call<unknown, unknown, Caller>,
): Promise<Attempt | null> {
  if (throttle.kind === 'password') {
    const identifier = throttle.identifier(call);
    return identifier === null ? null : limiter.passwordAttempt(call.ctx, identifier);
  }
  const email = throttle.email(call);
  if (email === null) return null;
  return limiter.mailAttempt(call.ctx, throttle.family, {
    email,
    ...(call.auth ? { account: String(call.auth.user.id) } : {}),
  });
}

/** Runs one call: caller, input, throttle, handler, answer; the route tells the limiter how it ended. */
export async function runEndpoint(endpoint: Endpoint, ctx: Context, tools: EndpointTools): Promise<void> {
  const { auth, resetToken } = await callerOf(endpoint, ctx, tools);
  const rawBody = ctx.request.body ?? {};
  const body = endpoint.body ? readInput(endpoint.body.schema, rawBody, endpoint.body.kind) : {};
  const query = endpoint.query ? readInput(endpoint.query.schema, ctx.query, endpoint.query.kind) : {};
  const call = { ctx, body, query, rawBody, auth, resetToken } as Call<unknown, unknown, Caller>;

  const attempts: [Throttle<unknown, unknown, Caller>, Attempt][] = [];
  try {
    for (const throttle of (tools.limiter && endpoint.throttle) || []) {
      const attempt = await takeAttempt(tools.limiter!, throttle, call);
      if (attempt) attempts.push([throttle, attempt]);
    }
  } catch (refused) {
    // One budget said no: the others' attempts did no work and are given back.
    for (const [, attempt] of attempts) await attempt.settle('not-counted');
    throw refused;
  }
  let answer: Answer;
  try {
    answer = await endpoint.handler(call);
  } catch (error) {
    for (const [throttle, attempt] of attempts) await attempt.settle(outcomeOf(throttle, error));
    throw error;
  }
  for (const [throttle, attempt] of attempts) await attempt.settle(outcomeOf(throttle, undefined));

  if (answer?.redirect) {
    ctx.status = 302;
    ctx.redirect(answer.redirect);
  } else if (answer?.body !== undefined) {
    ctx.status = answer.status ?? 200;
    ctx.body = answer.body;
  } else {
    ctx.status = 204;
    ctx.body = null;
  }
}
