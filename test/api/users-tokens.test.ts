import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEVELOPMENT_SESSION_KEY } from '../../server/config.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient } from '../helpers/browser.js';
import { createFakeClock } from '../helpers/clock.js';
import {
  ApiClient,
  assertError,
  linkFrom,
  logInToken,
  PASSWORD,
  signUpVerified,
  strictLogin,
  strictUser,
} from './client.js';

const clock = createFakeClock();
let app: TestApp;
let api: ApiClient;
let token: string;

before(async () => {
  app = await startApp({ clock });
  api = new ApiClient(app.url);
  await signUpVerified(app, api, 'holder@example.com');
  token = await logInToken(api, 'holder@example.com');
});
after(async () => {
  await app.close();
});

const meWith = (headers: Record<string, string>, query = '') => api.get(`/api/users/me${query}`, { headers });

describe('every token source of SPEC §4 opens /api/users/me', () => {
  test('Authorization: the token alone', async () => {
    const response = await meWith({ authorization: token });
    assert.equal(response.status, 200, response.text);
    assert.equal(strictUser.parse(response.json).email, 'holder@example.com');
  });

  test('Authorization: Bearer TOKEN', async () => {
    assert.equal((await meWith({ authorization: `Bearer ${token}` })).status, 200);
  });

  test('Authorization: Bearer base64(TOKEN), as LoopBack 3 clients send it', async () => {
    const encoded = Buffer.from(token).toString('base64');
    assert.equal((await meWith({ authorization: `Bearer ${encoded}` })).status, 200);
  });

  test('X-Access-Token header', async () => {
    assert.equal((await meWith({ 'x-access-token': token })).status, 200);
  });

  test('access_token query parameter', async () => {
    assert.equal((await meWith({}, `?access_token=${token}`)).status, 200);
  });

  test('access_token cookie, signed with SESSION_KEYS as Koa signs cookies (access_token.sig)', async () => {
    const signature = createHmac('sha1', DEVELOPMENT_SESSION_KEY)
      .update(`access_token=${token}`)
      .digest('base64url');
    assert.equal(
      (await meWith({ cookie: `access_token=${token}; access_token.sig=${signature}` })).status,
      200,
    );
  });

  test('an unsigned or wrongly signed access_token cookie is ignored (issue 10.7: a planted cookie)', async () => {
    assertError(await meWith({ cookie: `access_token=${token}` }), 401, 'AUTHORIZATION_REQUIRED');
    const forged = createHmac('sha1', 'not-our-key').update(`access_token=${token}`).digest('base64url');
    assertError(
      await meWith({ cookie: `access_token=${token}; access_token.sig=${forged}` }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });

  test('the session cookie of a browser logged in through the pages; logout ends that session', async () => {
    const browser = new FormClient(app.url);
    await browser.get('/');
    const login = await browser.post('/login', { email: 'holder@example.com', password: PASSWORD });
    assert.equal(login.status, 303);
    const cookie = browser.cookieHeader();
    assert.equal((await meWith({ cookie })).status, 200);
    // A state-changing call the page session authenticates needs this site's Origin (or the CSRF token).
    const origin = new URL(app.appUrl).origin;
    const out = await api.post('/api/users/logout', { headers: { cookie, origin } });
    assert.equal(out.status, 204, out.text);
    assertError(await meWith({ cookie }), 401, 'AUTHORIZATION_REQUIRED');
  });

  test('a bad token in any source is a 401 in the envelope', async () => {
    const bad = 'b'.repeat(64);
    for (const response of [
      await meWith({ authorization: bad }),
      await meWith({ authorization: `Bearer ${Buffer.from(bad).toString('base64')}` }),
      await meWith({ 'x-access-token': bad }),
      await meWith({}, `?access_token=${bad}`),
      await meWith({ cookie: `access_token=${bad}` }),
      await meWith({ authorization: 'Bearer' }),
      await meWith({ authorization: '%%%' }),
    ]) {
      assertError(response, 401, 'AUTHORIZATION_REQUIRED');
    }
  });

  test('the Authorization header is read first: a bad header is not rescued by a good query token', async () => {
    assertError(
      await meWith({ authorization: 'c'.repeat(64) }, `?access_token=${token}`),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    assert.equal((await meWith({ authorization: token }, `?access_token=${'c'.repeat(64)}`)).status, 200);
  });
});

describe('lifetimes, on a fake clock', () => {
  test('a login token is valid at its ttl and refused one second later', async () => {
    const response = await api.post('/api/users/login', {
      body: { email: 'holder@example.com', password: PASSWORD, ttl: 60 },
    });
    const short = strictLogin.parse(response.json).id;
    clock.advance(60);
    assert.equal((await api.get('/api/users/me', { token: short })).status, 200);
    clock.advance(1);
    assertError(await api.get('/api/users/me', { token: short }), 401, 'AUTHORIZATION_REQUIRED');
  });

  test('a reset link is refused after RESET_TOKEN_TTL (900 s)', async () => {
    const asked = await api.post('/api/users/reset', { body: { email: 'holder@example.com' } });
    assert.equal(asked.status, 204);
    const reset = (await linkFrom(app, 'holder@example.com', '/reset-password')).searchParams.get(
      'access_token',
    );
    clock.advance(901);
    assertError(
      await api.post('/api/users/reset-password', {
        token: reset ?? '',
        body: { newPassword: 'too late now, sorry' },
      }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });

  test('a verification link is refused after VERIFY_TOKEN_TTL (86400 s): 400 INVALID_TOKEN', async () => {
    await api.post('/api/users', { body: { email: 'slow@example.com', password: PASSWORD } });
    const link = await linkFrom(app, 'slow@example.com', '/verify');
    clock.advance(86_401);
    const response = await api.get(`/api/users/confirm${link.search}`);
    assertError(response, 400, 'INVALID_TOKEN');
  });
});
