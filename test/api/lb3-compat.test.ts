import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { ApiClient, assertError, PASSWORD, signUpVerified, strictLogin, strictUser } from './client.js';

// Issue 9.5: the requests loopback-connector-remote 3.4 sends (recorded in test/lb3-client.test.ts),
// byte for byte: `accept: application/json`, `Authorization: Bearer base64(token)`, numeric ids.
let app: TestApp;
let api: ApiClient;
let userId: number;

before(async () => {
  app = await startApp({ env: { CORS_ORIGINS: 'https://spa.example.com, http://localhost:5173' } });
  api = new ApiClient(app.url);
  userId = (await signUpVerified(app, api, 'lb3@example.com')).id;
});
after(async () => {
  await app.close();
});

const accept = { accept: 'application/json' };
const bearer = (token: string) => `Bearer ${Buffer.from(token).toString('base64')}`;

async function login(query: string): Promise<ReturnType<typeof strictLogin.parse>> {
  const answer = await api.post(`/api/users/login${query}`, {
    headers: accept,
    body: { email: 'lb3@example.com', password: PASSWORD },
  });
  assert.equal(answer.status, 200, `${query}: ${answer.text}`);
  return strictLogin.parse(answer.json);
}

describe('include, in every form LoopBack 3 accepts', () => {
  test('include[0]=user (the remote connector), include[]=user, include=user, JSON and filter forms', async () => {
    for (const query of [
      '?include%5B0%5D=user',
      '?include[0]=user',
      '?include%5B%5D=user',
      '?include=user',
      '?include=user,other',
      `?include=${encodeURIComponent('["user"]')}`,
      `?include=${encodeURIComponent('{"user":true}')}`,
      `?include=${encodeURIComponent('[{"relation":"user"}]')}`,
      `?filter=${encodeURIComponent('{"include":"user"}')}`,
      `?filter=${encodeURIComponent('{"include":["user"]}')}`,
      '?filter%5Binclude%5D=user',
    ]) {
      const answer = await login(query);
      assert.equal(answer.user?.email, 'lb3@example.com', query);
      assert.equal(answer.user?.id, userId, query);
    }
  });

  test('without include, or including something else, there is no user', async () => {
    for (const query of ['', '?include=accessTokens', '?include%5B0%5D=other', '?filter=%7B%7D']) {
      assert.equal((await login(query)).user, undefined, query);
    }
  });

  test('include or filter that is not JSON where JSON is expected: a clear 400', async () => {
    for (const query of ['?include=%5Buser', `?filter=${encodeURIComponent('{include')}`]) {
      const answer = await api.post(`/api/users/login${query}`, {
        body: { email: 'lb3@example.com', password: PASSWORD },
      });
      assertError(answer, 400, 'INVALID_ARGUMENT');
    }
  });
});

describe('numeric ids, as LoopBack 3 gives them', () => {
  test('id and userId are JSON numbers; GET and PATCH /api/users/<number> with Bearer base64(token)', async () => {
    const answer = await login('?include%5B0%5D=user');
    assert.equal(typeof answer.userId, 'number');
    assert.equal(answer.userId, userId);
    assert.ok(Number.isInteger(userId) && userId >= 1);
    const byId = await api.get(`/api/users/${userId}`, {
      headers: { ...accept, authorization: bearer(answer.id) },
    });
    assert.equal(byId.status, 200, byId.text);
    assert.equal(strictUser.parse(byId.json).id, userId);
    const patched = await api.patch(`/api/users/${userId}`, {
      headers: { ...accept, authorization: bearer(answer.id) },
      body: { username: 'lb3client' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(strictUser.parse(patched.json).username, 'lb3client');
    // The connector's logout: no content-type, an empty body, the token in the header only.
    const out = await api.post('/api/users/logout', {
      headers: { ...accept, authorization: bearer(answer.id), 'content-length': '0' },
    });
    assert.equal(out.status, 204, out.text);
    assertError(
      await api.get('/api/users/me', { headers: { authorization: bearer(answer.id) } }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });

  test('a client that turned the id into NaN gets a clear 400, never a 500', async () => {
    const { id: token } = await login('');
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const answer = await api.request(method, '/api/users/NaN', {
        headers: { authorization: bearer(token) },
        ...(method === 'PATCH' ? { body: { username: 'x' } } : {}),
      });
      assertError(answer, 400, 'INVALID_ARGUMENT');
    }
  });
});

describe('CORS for /api from CORS_ORIGINS only', () => {
  const preflight = (origin: string) =>
    fetch(new URL('/api/users/login', app.url), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, x-access-token, content-type',
      },
    });

  test('a listed origin: preflight granted with the token headers; the answer readable with credentials', async () => {
    const granted = await preflight('https://spa.example.com');
    assert.equal(granted.status, 204);
    assert.equal(granted.headers.get('access-control-allow-origin'), 'https://spa.example.com');
    assert.equal(granted.headers.get('access-control-allow-credentials'), 'true');
    const headers = (granted.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const name of ['authorization', 'x-access-token', 'content-type'])
      assert.ok(headers.includes(name), name);
    assert.match(granted.headers.get('access-control-allow-methods') ?? '', /PATCH/);
    assert.match(granted.headers.get('vary') ?? '', /origin/i);
    const answer = await api.post('/api/users/login', {
      headers: { origin: 'http://localhost:5173' },
      body: { email: 'lb3@example.com', password: PASSWORD },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  });

  test('any other origin, or a look-alike of a listed one, is never reflected', async () => {
    for (const origin of [
      'https://evil.example',
      'https://spa.example.com.evil.example',
      'http://spa.example.com',
      'https://spa.example.com:8443',
      'null',
    ]) {
      const refused = await preflight(origin);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(refused.headers.get('access-control-allow-credentials'), null, origin);
    }
  });

  test('pages never answer CORS, even to a listed origin', async () => {
    const page = await fetch(new URL('/', app.url), { headers: { origin: 'https://spa.example.com' } });
    assert.equal(page.headers.get('access-control-allow-origin'), null);
  });
});
