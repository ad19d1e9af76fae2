import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { ApiClient, assertError, PASSWORD, signUpVerified } from './client.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';

let app: TestApp;
let api: ApiClient;

before(async () => {
  app = await startApp();
  api = new ApiClient(app.url);
  await signUpVerified(app, api, 'centre@example.com');
  await signUpVerified(app, api, 'other@example.com');
});
after(async () => {
  await app.close();
});

async function logIn(email: string, userAgent = FIREFOX): Promise<string> {
  const login = await api.post('/api/users/login', {
    body: { email, password: PASSWORD },
    headers: { 'user-agent': userAgent },
  });
  assert.equal(login.status, 200, login.text);
  return (login.json as { id: string }).id;
}

type Listed = { id: string; current: boolean; device: string | null; ip: string | null; session: string };

describe('issue 14: sessions through the API', () => {
  test('GET accessTokens lists device, address and last use, never a secret', async () => {
    const token = await logIn('centre@example.com');
    const response = await api.get('/api/users/me/accessTokens', { token });
    assert.equal(response.status, 200, response.text);
    const listed = response.json as Listed[];
    const mine = listed.find((entry) => entry.current);
    assert.ok(mine);
    assert.equal(mine.device, 'Firefox on Linux');
    assert.equal(mine.session, 'api');
    assert.ok(mine.ip);
    assert.ok(!response.text.includes(token));
  });

  test('DELETE accessTokens/:fk revokes that one; it fails on its next request; others stay', async () => {
    const here = await logIn('centre@example.com');
    const there = await logIn('centre@example.com', 'curl/8.0');
    const listed = (await api.get('/api/users/me/accessTokens', { token: there })).json as Listed[];
    const target = listed.find((entry) => entry.current);
    assert.ok(target);
    assert.equal((await api.delete(`/api/users/me/accessTokens/${target.id}`, { token: here })).status, 204);
    assertError(await api.get('/api/users/me', { token: there }), 401, 'AUTHORIZATION_REQUIRED');
    assert.equal((await api.get('/api/users/me', { token: here })).status, 200);
    assertError(
      await api.delete(`/api/users/me/accessTokens/${target.id}`, { token: here }),
      404,
      'NOT_FOUND',
    );
  });

  test("another account's token id is a 404 and stays alive", async () => {
    const mine = await logIn('centre@example.com');
    const theirs = await logIn('other@example.com');
    const listed = (await api.get('/api/users/me/accessTokens', { token: theirs })).json as Listed[];
    const target = listed.find((entry) => entry.current);
    assert.ok(target);
    assertError(
      await api.delete(`/api/users/me/accessTokens/${target.id}`, { token: mine }),
      404,
      'NOT_FOUND',
    );
    assert.equal((await api.get('/api/users/me', { token: theirs })).status, 200);
  });
});

describe('issue 14: GET /api/users/:id/activity', () => {
  test('the owner sees sign-ins and failures newest first, paged; nobody else does', async () => {
    await api.post('/api/users/login', {
      body: { email: 'centre@example.com', password: 'wrong password!!' },
    });
    const token = await logIn('centre@example.com');
    const page = await api.get('/api/users/me/activity?limit=2', { token });
    assert.equal(page.status, 200, page.text);
    const entries = page.json as { id: number; type: string; device: string | null }[];
    assert.deepEqual(
      entries.map((entry) => entry.type),
      ['login', 'login-failed'],
    );
    assert.equal(entries[0]?.device, 'Firefox on Linux');
    assert.ok(!page.text.includes('wrong password'));
    const last = entries.at(-1);
    assert.ok(last);
    const next = await api.get(`/api/users/me/activity?before=${last.id}&limit=50`, { token });
    assert.equal(next.status, 200);
    assert.ok((next.json as { id: number }[]).every((entry) => entry.id < last.id));
    const other = await logIn('other@example.com');
    const users = (await api.get('/api/users/me', { token })).json as { id: number };
    assertError(
      await api.get(`/api/users/${users.id}/activity`, { token: other }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });

  test('a bad page is a 400 INVALID_ARGUMENT, never a 500', async () => {
    const token = await logIn('centre@example.com');
    for (const query of ['?limit=0', '?limit=51', '?before=x', '?before=-1']) {
      const response = await api.get(`/api/users/me/activity${query}`, { token });
      assertError(response, 400, 'INVALID_ARGUMENT');
    }
  });

  test('OpenAPI documents the activity route and the token metadata', async () => {
    const document = (await api.get('/api/openapi.json')).json as { paths: Record<string, unknown> };
    assert.ok(Object.keys(document.paths).some((path) => path.includes('/activity')));
  });
});

describe('issue 14: API events in the log, and their notices', () => {
  test('logout, revoking a token, a password change and an email change are each recorded with the device', async () => {
    await signUpVerified(app, api, 'events@example.com');
    const token = await logIn('events@example.com');
    const doomed = await logIn('events@example.com', 'curl/8.0');
    const listed = (await api.get('/api/users/me/accessTokens', { token: doomed })).json as Listed[];
    const target = listed.find((entry) => entry.current);
    assert.ok(target);
    assert.equal((await api.delete(`/api/users/me/accessTokens/${target.id}`, { token })).status, 204);
    const newPassword = 'the new api passphrase';
    const changed = await api.post('/api/users/change-password', {
      body: { oldPassword: PASSWORD, newPassword },
      token,
      headers: { 'user-agent': FIREFOX },
    });
    assert.equal(changed.status, 204, changed.text);
    const moved = await api.patch('/api/users/me', {
      body: { email: 'events-new@example.com', currentPassword: newPassword },
      token,
    });
    assert.equal(moved.status, 200, moved.text);
    const log = (await api.get('/api/users/me/activity', { token })).json as Array<{
      type: string;
      device: string | null;
      detail: Record<string, string>;
    }>;
    const types = log.map((entry) => entry.type);
    for (const type of ['session-revoked', 'password-changed', 'email-change-requested'])
      assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
    assert.equal(log.find((entry) => entry.type === 'password-changed')?.device, 'Firefox on Linux');
    assert.equal(log.find((entry) => entry.type === 'session-revoked')?.detail.session, target.id);

    const notice = await app.mail.waitForSubject('events@example.com', 'Your password was changed');
    assert.match(notice.text, /Firefox on Linux/);
    assert.equal((await api.post('/api/users/logout', { token })).status, 204);
    assert.equal((await api.get('/api/users/me', { token })).status, 401);
  });
});
