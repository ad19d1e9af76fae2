import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { apiEndpoints } from '../../server/api/endpoints/index.js';
import { buildOpenApiDocument, openApiPath } from '../../server/api/openapi.js';
import { createApiRouter } from '../../server/api/router.js';
import { changePasswordBody, createUserBody, loginBody, userSchema } from '../../server/api/schemas.js';
import { authDepsOf } from '../../server/auth-deps.js';
import { startApp, type TestApp } from '../helpers/app.js';

let app: TestApp;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app.close();
});

type OperationObject = {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, unknown> };
};

const served = async (): Promise<Document> => {
  const response = await fetch(`${app.url}/api/openapi.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return (await response.json()) as Document;
};

test('GET /api/openapi.json serves a valid OpenAPI 3.1 document', async () => {
  const document = await served();
  assert.equal(document.openapi, '3.1.0');
  const endpoints = apiEndpoints(authDepsOf(app.server.deps), null);
  assert.deepEqual(document, JSON.parse(JSON.stringify(buildOpenApiDocument(endpoints))));
  const validator = new Validator();
  const result = await validator.validate(document);
  assert.equal(validator.version, '3.1');
  assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
});

test('the document covers every route the API router has, and describes no route it lacks', async () => {
  const router = createApiRouter(authDepsOf(app.server.deps));
  const routed = new Set<string>();
  for (const layer of router.stack) {
    // Router-level middleware (no methods) and the automatic HEAD of each GET are not routes.
    for (const method of layer.methods.filter((name: string) => name !== 'HEAD')) {
      routed.add(`${method.toLowerCase()} ${String(layer.path)}`);
    }
  }
  assert.ok(routed.size >= 14, `the router has its routes (${routed.size})`);
  const document = await served();
  const described = new Set<string>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) described.add(`${method} ${path}`);
  }
  for (const route of routed) {
    const [method = '', path = ''] = route.split(' ');
    assert.ok(described.has(`${method} ${openApiPath(path)}`), `${route} is in the OpenAPI document`);
  }
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      const routerPath = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
      assert.ok(routed.has(`${method} ${routerPath}`), `${method} ${path} is documented but not routed`);
    }
  }
});

test('the schemas in the document are generated from the ones the routes validate with', async () => {
  const { components } = await served();
  const asJson = (schema: z.ZodType, io: 'input' | 'output') => {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
    return rest;
  };
  assert.deepEqual(components.schemas.CreateUserRequest, asJson(createUserBody, 'input'));
  assert.deepEqual(components.schemas.ChangePasswordRequest, asJson(changePasswordBody, 'input'));
  assert.deepEqual(components.schemas.User, asJson(userSchema, 'output'));
  // The login body's ttl is described as clients send it: a number or a numeric string.
  assert.deepEqual(components.schemas.LoginRequest, asJson(loginBody, 'input'));
  const user = components.schemas.User as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(user.properties).sort(), [
    'created',
    'email',
    'emailVerified',
    'id',
    'providers',
    'username',
  ]);
});

test('each operation names its token sources and answers errors in the LoopBack envelope', async () => {
  const { paths } = await served();
  const open = new Set([
    'get /api/openapi.json',
    'post /api/users',
    'post /api/users/login',
    // Issue 17: the second step proves itself with its mfaToken, not an access token.
    'post /api/users/login/two-factor',
    'post /api/users/reset',
    'get /api/users/confirm',
  ]);
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const name = `${method} ${path}`;
      if (open.has(name)) assert.deepEqual(operation.security, [], `${name} needs no token`);
      else assert.equal(operation.security?.length, 4, `${name} lists the four token sources`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        assert.equal(
          response.content?.['application/json']?.schema.$ref,
          '#/components/schemas/Error',
          `${name} ${status} uses the error envelope`,
        );
      }
    }
  }
});
