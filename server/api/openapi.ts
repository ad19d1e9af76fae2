import { z } from 'zod';
import {
  accessTokenListSchema,
  accessTokenSchema,
  changePasswordBody,
  confirmQuery,
  createUserBody,
  deleteCountSchema,
  errorSchema,
  loginBody,
  loginQuery,
  loginResultSchema,
  patchUserBody,
  resetBody,
  resetPasswordBody,
  userIdParam,
  userSchema,
} from './schemas.js';

/**
 * The OpenAPI 3.1 description of the API, generated from the zod schemas the routes validate with
 * (schemas.ts). Only what JSON Schema cannot say is written here: each route's method, path,
 * token, and status codes. test/api/openapi.test.ts fails if a route of the router is missing.
 */

type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'patch' | 'delete';
/** Which token a route needs: none, a login (access) token, or an emailed reset token. */
type TokenNeed = 'none' | 'access' | 'reset';

type Operation = {
  method: Method;
  /** The router's path, `:param` style. */
  path: string;
  summary: string;
  description?: string;
  token: TokenNeed;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → what it means; the schema of a success answer, errors use the envelope. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
};

// Every schema that gets a name in `components.schemas`. Requests are described as clients send
// them (zod's input side: a ttl may be a numeric string), answers as the server writes them.
const requestSchemas = {
  CreateUserRequest: createUserBody,
  LoginRequest: loginBody,
  ResetRequest: resetBody,
  ResetPasswordRequest: resetPasswordBody,
  ChangePasswordRequest: changePasswordBody,
  PatchUserRequest: patchUserBody,
} as const;
const responseSchemas = {
  User: userSchema,
  LoginResult: loginResultSchema,
  AccessToken: accessTokenSchema,
  AccessTokenList: accessTokenListSchema,
  DeleteCount: deleteCountSchema,
  Error: errorSchema,
} as const;

const unauthorized = { description: 'No valid access token, or the id is not the caller' };

const operations: Operation[] = [
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    token: 'none',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
  },
  {
    method: 'post',
    path: '/api/users',
    summary: 'Sign up',
    description: 'Creates the user and emails a verification link. LoopBack `User.create`.',
    token: 'none',
    body: createUserBody,
    responses: {
      200: { description: 'The new user', schema: userSchema },
      400: { description: 'The body is not a JSON object' },
      422: {
        description: 'ValidationError: invalid or taken email/username, bad password, PASSWORD_TOO_LONG',
      },
    },
  },
  {
    method: 'post',
    path: '/api/users/login',
    summary: 'Log in',
    description: 'Issues an access token. `?include=user` adds the user.',
    token: 'none',
    body: loginBody,
    query: loginQuery,
    responses: {
      200: { description: 'A new access token', schema: loginResultSchema },
      400: { description: 'USERNAME_EMAIL_REQUIRED, or a bad `include`' },
      401: { description: 'LOGIN_FAILED, or LOGIN_FAILED_EMAIL_NOT_VERIFIED' },
      422: {
        description:
          'ValidationError: a ttl that is not a positive whole number, or a field of the wrong type',
      },
    },
  },
  {
    method: 'post',
    path: '/api/users/logout',
    summary: 'Log out (this token)',
    token: 'access',
    responses: { 204: { description: 'The token is deleted' }, 401: unauthorized },
  },
  {
    method: 'post',
    path: '/api/users/reset',
    summary: 'Ask for a password-reset email',
    description: 'Answers 204 whether or not the email has an account (LoopBack answered 404).',
    token: 'none',
    body: resetBody,
    responses: {
      204: { description: 'Accepted; a known address gets an email with a reset link' },
      400: { description: 'EMAIL_REQUIRED, or an email that is not a string' },
    },
  },
  {
    method: 'post',
    path: '/api/users/reset-password',
    summary: 'Set a new password with a reset token',
    description:
      'The token is the one from the emailed link, sent like an access token. A login token is refused; the reset token is spent, and every token of the user is deleted.',
    token: 'reset',
    body: resetPasswordBody,
    responses: {
      204: { description: 'The password is changed' },
      400: { description: 'newPassword missing or not a string' },
      401: { description: 'No valid reset token' },
      422: { description: 'The new password breaks the policy (ValidationError, PASSWORD_TOO_LONG)' },
    },
  },
  {
    method: 'post',
    path: '/api/users/change-password',
    summary: 'Change the password',
    description: "The caller's token stays valid; every other token of the user is deleted.",
    token: 'access',
    body: changePasswordBody,
    responses: {
      204: { description: 'The password is changed' },
      400: { description: 'INVALID_PASSWORD (wrong old password), or a missing argument' },
      401: unauthorized,
      422: { description: 'The new password breaks the policy' },
    },
  },
  {
    method: 'get',
    path: '/api/users/confirm',
    summary: 'Verify an email address',
    token: 'none',
    query: confirmQuery,
    responses: {
      204: { description: 'Verified' },
      302: { description: 'Verified; redirected to `redirect`' },
      400: {
        description: 'INVALID_TOKEN, INVALID_REDIRECT (not a path on this site), or a missing argument',
      },
      404: { description: 'USER_NOT_FOUND' },
    },
  },
  {
    method: 'get',
    path: '/api/users/:id',
    summary: 'Read the user',
    token: 'access',
    responses: { 200: { description: 'The user', schema: userSchema }, 401: unauthorized },
  },
  {
    method: 'patch',
    path: '/api/users/:id',
    summary: 'Change email or username',
    description:
      'A new email is unverified until its link is followed: a verification email goes to it and every other token of the user is deleted.',
    token: 'access',
    body: patchUserBody,
    responses: {
      200: { description: 'The updated user', schema: userSchema },
      400: { description: 'The body is not a JSON object' },
      401: { description: 'No valid token, another user, or PASSWORD_CHANGE_NOT_ALLOWED' },
      422: { description: 'ValidationError: invalid or taken email/username' },
    },
  },
  {
    method: 'delete',
    path: '/api/users/:id',
    summary: 'Delete the account',
    token: 'access',
    responses: {
      200: { description: 'Deleted, with its tokens', schema: deleteCountSchema },
      401: unauthorized,
    },
  },
  {
    method: 'get',
    path: '/api/users/:id/accessTokens',
    summary: "List the user's live login tokens",
    token: 'access',
    responses: {
      200: { description: 'Token metadata, never a secret', schema: accessTokenListSchema },
      401: unauthorized,
    },
  },
  {
    method: 'delete',
    path: '/api/users/:id/accessTokens',
    summary: 'Log out everywhere',
    token: 'access',
    responses: { 204: { description: 'Every login token of the user is deleted' }, 401: unauthorized },
  },
];

/** `/api/users/:id` → `/api/users/{id}`. */
export function openApiPath(routerPath: string): string {
  return routerPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Converts a registry of named schemas to `components.schemas` entries with `$ref`s between them. */
function componentSchemas(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

function refTo(named: Record<string, z.ZodType>, schema: z.ZodType): Json {
  const entry = Object.entries(named).find(([, candidate]) => candidate === schema);
  if (!entry) throw new Error('a schema used by an operation has no name in openapi.ts');
  return { $ref: `#/components/schemas/${entry[0]}` };
}

/** One OpenAPI parameter per property of a query (or path) object schema. */
function parameters(schema: z.ZodObject, where: 'query' | 'path'): Json[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const TOKEN_SOURCES = ['authorizationHeader', 'xAccessToken', 'accessTokenQuery', 'accessTokenCookie'];

function operationObject(operation: Operation): Json {
  const pathParameters = operation.path.includes(':id') ? parameters(userIdParam, 'path') : [];
  const queryParameters = operation.query ? parameters(operation.query, 'query') : [];
  const responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => {
      const content = response.schema
        ? { 'application/json': { schema: refTo(responseSchemas, response.schema) } }
        : Number(status) >= 400
          ? { 'application/json': { schema: refTo(responseSchemas, errorSchema) } }
          : undefined;
      return [status, { description: response.description, ...(content ? { content } : {}) }];
    }),
  );
  return {
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    operationId: `${operation.method}${operation.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, next = '') => next.toUpperCase())}`,
    tags: [operation.path.startsWith('/api/users') ? 'users' : 'meta'],
    security: operation.token === 'none' ? [] : TOKEN_SOURCES.map((source) => ({ [source]: [] })),
    ...(pathParameters.length + queryParameters.length > 0
      ? { parameters: [...pathParameters, ...queryParameters] }
      : {}),
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: refTo(requestSchemas, operation.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** The methods and paths the document describes, `:param` style, for the coverage test. */
export function documentedRoutes(): { method: Method; path: string }[] {
  return operations.map(({ method, path }) => ({ method, path }));
}

/** The whole OpenAPI 3.1 document served at GET /api/openapi.json. */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of operations) {
    const path = openApiPath(operation.path);
    paths[path] = { ...paths[path], [operation.method]: operationObject(operation) };
  }
  const tokenNote = 'A login token from POST /api/users/login (or the reset token, on reset-password only).';
  return {
    openapi: '3.1.0',
    info: {
      title: 'koa-user-management',
      version: '1.0.0',
      description:
        "LoopBack 3 compatible user API: sign-up, email verification, login, logout, password reset and change. Errors use LoopBack's envelope. `me` in a path stands for the user of the token.",
    },
    tags: [
      { name: 'users', description: "LoopBack's User and AccessToken endpoints" },
      { name: 'meta', description: 'About the API itself' },
    ],
    paths,
    components: {
      schemas: {
        ...componentSchemas(requestSchemas, 'input'),
        ...componentSchemas(responseSchemas, 'output'),
      },
      securitySchemes: {
        authorizationHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: `${tokenNote} The token alone, \`Bearer TOKEN\`, or \`Bearer base64(TOKEN)\` as LoopBack 3 clients send it.`,
        },
        xAccessToken: { type: 'apiKey', in: 'header', name: 'X-Access-Token', description: tokenNote },
        accessTokenQuery: { type: 'apiKey', in: 'query', name: 'access_token', description: tokenNote },
        accessTokenCookie: { type: 'apiKey', in: 'cookie', name: 'access_token', description: tokenNote },
      },
    },
  };
}
