import * as z from 'zod';
import type { Endpoint } from './endpoint.js';
import { activityListSchema } from './endpoints/activity.js';
import {
  accessTokenListSchema,
  accessTokenSchema,
  changePasswordBody,
  createUserBody,
  deleteCountSchema,
  deleteUserBody,
  errorSchema,
  loginBody,
  loginResultSchema,
  patchUserBody,
  resetBody,
  resetPasswordBody,
  tokenIdParam,
  twoFactorLoginBody,
  userIdParam,
  userSchema,
} from './schemas.js';

/**
 * The OpenAPI 3.1 description of the API, generated from the endpoint declarations (endpoints/)
 * and the zod schemas they validate with (schemas.ts): the document cannot drift from the code.
 */

type Json = Record<string, unknown>;
type Method = Endpoint['method'];

// Every schema that gets a name in `components.schemas`. Requests are described as clients send
// them (zod's input side: a ttl may be a numeric string), answers as the server writes them.
const requestSchemas = {
  CreateUserRequest: createUserBody,
  LoginRequest: loginBody,
  TwoFactorLoginRequest: twoFactorLoginBody,
  ResetRequest: resetBody,
  ResetPasswordRequest: resetPasswordBody,
  ChangePasswordRequest: changePasswordBody,
  PatchUserRequest: patchUserBody,
  DeleteUserRequest: deleteUserBody,
} as const;
const responseSchemas = {
  User: userSchema,
  LoginResult: loginResultSchema,
  AccessToken: accessTokenSchema,
  AccessTokenList: accessTokenListSchema,
  DeleteCount: deleteCountSchema,
  Error: errorSchema,
  ActivityList: activityListSchema,
} as const;

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

function operationObject(operation: Endpoint & { path: string }): Json {
  const pathParameters = [
    ...(operation.path.includes(':id') ? parameters(userIdParam, 'path') : []),
    ...(operation.path.includes(':fk') ? parameters(tokenIdParam, 'path') : []),
  ];
  const query = operation.query?.schema;
  const queryParameters = query instanceof z.ZodObject ? parameters(query, 'query') : [];
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
    security: operation.caller === 'anyone' ? [] : TOKEN_SOURCES.map((source) => ({ [source]: [] })),
    ...(pathParameters.length + queryParameters.length > 0
      ? { parameters: [...pathParameters, ...queryParameters] }
      : {}),
    ...(operation.body
      ? {
          requestBody: {
            // A DELETE may carry currentPassword; a recent token does without it.
            required: operation.method !== 'delete',
            content: { 'application/json': { schema: refTo(requestSchemas, operation.body.schema) } },
          },
        }
      : {}),
    responses,
  };
}

/** The whole OpenAPI 3.1 document served at GET /api/openapi.json, from the declared endpoints. */
export function buildOpenApiDocument(endpoints: readonly Endpoint[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const endpoint of endpoints) {
    const operation = { ...endpoint, path: `/api${endpoint.path}` };
    const path = openApiPath(operation.path);
    paths[path] = { ...paths[path], [operation.method as Method]: operationObject(operation) };
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
