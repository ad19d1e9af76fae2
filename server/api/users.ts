import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import {
  AuthError,
  authorizationRequired,
  passwordChangeNotAllowed,
  requestRefused,
  validationFailed,
} from '../auth/errors.js';
import type { AuthDeps } from '../auth/types.js';
import {
  changePassword,
  deleteAccount,
  isResetTokenValid,
  listAccessTokens,
  logIn,
  logOut,
  logOutEverywhere,
  requestPasswordReset,
  resetPassword,
  signUp,
  updateProfile,
  verifyEmail,
} from '../auth/users.js';
import { authOf, findTokenInRequest, type RequestAuth } from '../middleware/access-token.js';
import { safeRedirectPath } from '../middleware/safe-redirect.js';
import { buildOpenApiDocument } from './openapi.js';
import { presentAccessToken, presentLogin, presentUser } from './present.js';
import {
  changePasswordBody,
  confirmQuery,
  createUserBody,
  loginBody,
  loginQuery,
  patchUserBody,
  resetBody,
  resetPasswordBody,
} from './schemas.js';

/**
 * How a request's bad input is reported, as LoopBack did: fields of a model (the user, the token's
 * ttl) fail its validation with `422 ValidationError`; arguments of a remote method (newPassword,
 * uid, …) fail strong-remoting's argument check with a `400`.
 */
type InputKind = 'model' | 'argument';

type FieldProblems = Record<string, { code: string; message: string }[]>;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** LoopBack's validation codes for zod's issues. */
function codeOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(input, issue.path) === undefined ? 'presence' : 'type';
    case 'invalid_union':
      return 'type';
    case 'too_small':
    case 'too_big':
    case 'custom':
      return 'numericality';
    default:
      return 'format';
  }
}

/** Parses `input` or throws the error LoopBack would answer with, naming each bad field. */
function readInput<T extends z.ZodType>(schema: T, input: unknown, kind: InputKind): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems: FieldProblems = {};
  for (const issue of parsed.error.issues) {
    if (issue.path.length === 0) {
      throw requestRefused(400, 'INVALID_ARGUMENT', 'The request body must be a JSON object.');
    }
    const field = issue.path.map(String).join('.');
    const list = problems[field] ?? [];
    list.push({ code: codeOf(issue, input), message: issue.message });
    problems[field] = list;
  }
  if (kind === 'model') throw validationFailed(problems);
  const summary = Object.entries(problems)
    .map(([field, list]) => `${field} ${list.map((problem) => problem.message).join('; ')}`)
    .join('; ');
  const { details } = validationFailed(problems, 400);
  throw new AuthError(400, 'Error', 'INVALID_ARGUMENT', `Invalid argument: ${summary}.`, details);
}

/** The body as parsed by middleware/body.ts: `{}` when there was none. */
const bodyOf = (ctx: Context): unknown => ctx.request.body ?? {};

/**
 * The caller, when `:id` names them (`me` or their own id). Anyone else's id is the same 401 as
 * no token at all, as LoopBack's `$owner` rule answered: the API never says whether an id exists.
 */
function ownerOf(ctx: Context): RequestAuth {
  const current = authOf(ctx);
  const id = ctx.params.id;
  if (!current || (id !== 'me' && id !== current.user.id)) throw authorizationRequired();
  return current;
}

function requireToken(ctx: Context): RequestAuth {
  const current = authOf(ctx);
  if (!current) throw authorizationRequired();
  return current;
}

/** A deleted token must not stay in the browser's session cookie either. */
function forgetSession(ctx: Context, current: RequestAuth) {
  if (current.transport === 'session') ctx.session = null;
}

function noContent(ctx: Context) {
  ctx.status = 204;
  ctx.body = null;
}

const wantsUser = (include: string | string[] | undefined) =>
  (Array.isArray(include) ? include : [include]).some((value) =>
    value?.split(',').some((part) => part.trim() === 'user'),
  );

/**
 * The LoopBack 3 compatible JSON API under /api: each route reads its input with a schema from
 * schemas.ts, calls one function of auth/ (the same ones the pages call) and answers in
 * LoopBack's shapes through the presenters. No rule lives here.
 */
export function createApiRouter(auth: AuthDeps): Router {
  const router = new Router({ prefix: '/api' });
  const document = buildOpenApiDocument();

  router.use(async function noStore(ctx, next) {
    // Answers carry tokens and account data: no cache may keep them.
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });

  router.post('/users', async (ctx) => {
    const body = readInput(createUserBody, bodyOf(ctx), 'model');
    const user = await signUp(
      auth,
      { email: body.email, password: body.password, username: body.username ?? null },
      'reject',
    );
    // 'reject' never answers null: a taken email or username is LoopBack's 422.
    if (!user) throw new Error('signUp returned no user under the reject policy');
    ctx.body = presentUser(user);
  });

  router.post('/users/login', async (ctx) => {
    const body = readInput(loginBody, bodyOf(ctx), 'model');
    const query = readInput(loginQuery, ctx.query, 'argument');
    const result = await logIn(auth, {
      ...(body.email ? { email: body.email } : {}),
      ...(body.username ? { username: body.username } : {}),
      password: body.password ?? '',
      ...(body.ttl !== undefined ? { ttl: body.ttl } : {}),
    });
    ctx.body = presentLogin(result, wantsUser(query.include));
  });

  router.post('/users/logout', async (ctx) => {
    const current = requireToken(ctx);
    await logOut(auth, current.token);
    forgetSession(ctx, current);
    noContent(ctx);
  });

  router.post('/users/reset', async (ctx) => {
    const body = readInput(resetBody, bodyOf(ctx), 'argument');
    // The same 204 whether or not the address has an account (LoopBack answered 404).
    await requestPasswordReset(auth, body.email ?? '');
    noContent(ctx);
  });

  router.post('/users/reset-password', async (ctx) => {
    // The reset token is read here, not by resolveAccessToken (which resolves login tokens only):
    // a login token must not reset a password, and a reset token opens nothing else.
    const found = findTokenInRequest(ctx);
    if (!found || !(await isResetTokenValid(auth, found.secret))) throw authorizationRequired();
    const body = readInput(resetPasswordBody, bodyOf(ctx), 'argument');
    await resetPassword(auth, found.secret, body.newPassword);
    if (found.transport === 'session') ctx.session = null;
    noContent(ctx);
  });

  router.post('/users/change-password', async (ctx) => {
    const current = requireToken(ctx);
    const body = readInput(changePasswordBody, bodyOf(ctx), 'argument');
    // LoopBack's API keeps the caller's token; every other token of the user is deleted.
    await changePassword(auth, current.user, body.oldPassword, body.newPassword, { keep: current.token });
    noContent(ctx);
  });

  router.get('/users/confirm', async (ctx) => {
    const query = readInput(confirmQuery, ctx.query, 'argument');
    // Checked before the token is spent, so a link with a bad redirect can be fixed and used again.
    const redirect = query.redirect === undefined ? null : safeRedirectPath(query.redirect);
    if (query.redirect !== undefined && !redirect) {
      throw requestRefused(400, 'INVALID_REDIRECT', 'redirect must be a path on this site.');
    }
    await verifyEmail(auth, query.uid, query.token);
    if (redirect) {
      ctx.status = 302;
      ctx.redirect(redirect);
      return;
    }
    noContent(ctx);
  });

  router.get('/users/:id', (ctx) => {
    ctx.body = presentUser(ownerOf(ctx).user);
  });

  router.patch('/users/:id', async (ctx) => {
    const current = ownerOf(ctx);
    const raw = bodyOf(ctx);
    // LB3's rejectPasswordChangesViaPatchOrReplace: a password changes only with proof.
    if (valueAt(raw, ['password']) !== undefined) throw passwordChangeNotAllowed();
    const body = readInput(patchUserBody, raw, 'model');
    const updated = await updateProfile(
      auth,
      current.user,
      {
        ...(body.email !== undefined ? { email: body.email } : {}),
        ...(body.username !== undefined ? { username: body.username } : {}),
      },
      current.token.hash,
    );
    ctx.body = presentUser(updated);
  });

  router.delete('/users/:id', async (ctx) => {
    const current = ownerOf(ctx);
    await deleteAccount(auth, current.user.id);
    forgetSession(ctx, current);
    // LoopBack's deleteById answer.
    ctx.body = { count: 1 };
  });

  router.get('/users/:id/accessTokens', async (ctx) => {
    const current = ownerOf(ctx);
    const tokens = await listAccessTokens(auth, current.user.id);
    ctx.body = tokens.map((token) => presentAccessToken(token, current.token.hash));
  });

  router.delete('/users/:id/accessTokens', async (ctx) => {
    const current = ownerOf(ctx);
    await logOutEverywhere(auth, current.user.id);
    forgetSession(ctx, current);
    noContent(ctx);
  });

  return router;
}
