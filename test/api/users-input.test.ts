import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startApp, type TestApp } from '../helpers/app.js';
import { ApiClient, assertError, errorOf, logInToken, PASSWORD, signUpVerified } from './client.js';

let app: TestApp;
let api: ApiClient;
let token: string;

before(async () => {
  app = await startApp();
  api = new ApiClient(app.url);
  await signUpVerified(app, api, 'input@example.com');
  token = await logInToken(api, 'input@example.com');
});
after(async () => {
  await app.close();
});

describe('bodies the API refuses, each a clear 4xx in the envelope', () => {
  test('malformed JSON: 400 MALFORMED_JSON', async () => {
    for (const raw of ['{"email": ', '{bad json}', '"just a string"', '__proto__']) {
      const response = await api.post('/api/users', { raw, headers: { 'content-type': 'application/json' } });
      assertError(response, 400, 'MALFORMED_JSON');
    }
  });

  test('prototype-poisoning JSON: 400, never merged into an object', async () => {
    const raw = '{"email":"p@example.com","password":"x","__proto__":{"isAdmin":true}}';
    const response = await api.post('/api/users', { raw, headers: { 'content-type': 'application/json' } });
    assertError(response, 400, 'MALFORMED_JSON');
  });

  test('a form-encoded body: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await api.post('/api/users/login', {
      raw: new URLSearchParams({ email: 'input@example.com', password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a body over 100 kB: 413 ENTITY_TOO_LARGE', async () => {
    const response = await api.post('/api/users', {
      body: { email: 'big@example.com', password: PASSWORD, padding: 'x'.repeat(110_000) },
    });
    assertError(response, 413, 'ENTITY_TOO_LARGE');
  });

  test('a JSON array instead of an object: 400 INVALID_ARGUMENT', async () => {
    const response = await api.post('/api/users', { body: [{ email: 'a@example.com', password: PASSWORD }] });
    assertError(response, 400, 'INVALID_ARGUMENT');
    assertError(await api.patch('/api/users/me', { token, body: [] }), 400, 'INVALID_ARGUMENT');
  });

  test('wrong types: 422 ValidationError naming every field (model bodies)', async () => {
    const response = await api.post('/api/users', { body: { email: 42, password: ['a'], username: {} } });
    assertError(response, 422, 'VALIDATION_ERROR');
    const error = errorOf(response);
    assert.equal(error.name, 'ValidationError');
    assert.deepEqual(error.details?.codes, { email: ['type'], password: ['type'], username: ['type'] });
    assert.deepEqual(error.details?.messages.email, ['must be a string']);
    const login = await api.post('/api/users/login', { body: { email: 'input@example.com', password: 12 } });
    assertError(login, 422, 'VALIDATION_ERROR');
    assert.deepEqual(errorOf(login).details?.codes, { password: ['type'] });
  });

  test('missing fields: 422 "can\'t be blank" for a user, 400 for a remote method\'s argument', async () => {
    const create = await api.post('/api/users', { body: {} });
    assertError(create, 422, 'VALIDATION_ERROR');
    assert.deepEqual(errorOf(create).details?.messages, {
      email: ["can't be blank"],
      password: ["can't be blank"],
    });
    const change = await api.post('/api/users/change-password', { token, body: { oldPassword: 5 } });
    assertError(change, 400, 'INVALID_ARGUMENT');
    assert.deepEqual(errorOf(change).details?.codes, { oldPassword: ['type'], newPassword: ['presence'] });
    assertError(await api.post('/api/users/reset', { body: { email: 5 } }), 400, 'INVALID_ARGUMENT');
  });

  test('unknown fields are ignored', async () => {
    const response = await api.post('/api/users/login', {
      body: { email: 'input@example.com', password: PASSWORD, rememberMe: true, realm: 'x' },
    });
    assert.equal(response.status, 200, response.text);
  });

  test('an unknown /api address is a 404 in the envelope; a wrong method a 405 with Allow', async () => {
    assertError(await api.get('/api/nothing-here'), 404, 'NOT_FOUND');
    assertError(await api.get('/api/users/me/somewhere'), 404, 'NOT_FOUND');
    const wrongMethod = await api.request('PUT', '/api/users/me', { token, body: {} });
    assertError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    assert.match(wrongMethod.headers.get('allow') ?? '', /PATCH/);
    const list = await api.get('/api/users', { token });
    assertError(list, 405, 'METHOD_NOT_ALLOWED');
    assert.match(list.headers.get('allow') ?? '', /POST/);
  });
});

describe('no input makes the API answer 500', () => {
  const routes: [method: string, path: string][] = [
    ['POST', '/api/users'],
    ['POST', '/api/users/login'],
    ['POST', '/api/users/login?include=user'],
    ['POST', '/api/users/reset'],
    ['POST', '/api/users/reset-password'],
    ['POST', '/api/users/change-password'],
    ['PATCH', '/api/users/me'],
  ];
  const field = fc.constantFrom(
    'email',
    'username',
    'password',
    'ttl',
    'newPassword',
    'oldPassword',
    'emailVerified',
    '__proto__',
    'constructor',
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'grapheme', maxLength: 90 }),
    fc.constantFrom('input@example.com', PASSWORD, '', ' ', 'a'.repeat(300), '1e400', -1, 1e308),
  );
  const body = fc.oneof(fc.dictionary(field, value, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 }));

  test('random JSON bodies on every route with a body: always 2xx or 4xx, 4xx in the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        body,
        fc.boolean(),
        async ([method, path], json, withToken) => {
          const response = await api.request(method, path, {
            raw: JSON.stringify(json) ?? 'null',
            headers: { 'content-type': 'application/json', ...(withToken ? { authorization: token } : {}) },
          });
          assert.ok(response.status < 500, `${method} ${path} ${JSON.stringify(json)} → ${response.status}`);
          if (response.status >= 400) errorOf(response);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('random query strings on confirm and login: never a 500', async () => {
    const query = fc.dictionary(
      fc.constantFrom('uid', 'token', 'redirect', 'include', 'access_token'),
      fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
    );
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const search = new URLSearchParams();
        for (const [key, values] of Object.entries(params)) {
          for (const item of Array.isArray(values) ? values : [values]) search.append(key, item);
        }
        const confirm = await api.get(`/api/users/confirm?${search}`);
        assert.ok(confirm.status < 500, `confirm?${search} → ${confirm.status}`);
        const login = await api.post(`/api/users/login?${search}`, { body: { email: 'x@example.com' } });
        assert.ok(login.status < 500, `login?${search} → ${login.status}`);
      }),
      { numRuns: 60 },
    );
  });
});
