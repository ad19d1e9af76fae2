import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCodeAt } from '../../server/auth/totp.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient } from '../helpers/browser.js';
import { createFakeClock } from '../helpers/clock.js';
import { ApiClient, assertError, errorOf, PASSWORD, signUpVerified, strictLogin } from './client.js';

const clock = createFakeClock();
let app: TestApp;
let api: ApiClient;

before(async () => {
  app = await startApp({ clock });
  api = new ApiClient(app.url);
});
after(async () => {
  await app.close();
});

/** Logs in through the pages, turns the authenticator app on, returns the secret shown and the codes. */
async function enrolThroughPages(email: string) {
  const browser = new FormClient(app.url);
  await browser.get('/');
  const login = await browser.post('/login', { email, password: PASSWORD });
  assert.equal(login.location, '/home');
  const page = await browser.get('/account/two-factor');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.match(page.html, /<svg[^>]+role="img"/, 'the QR code is an SVG drawn on the server');
  const secret = (/data-secret>([A-Z2-7 ]+)</.exec(page.html)?.[1] ?? '').replace(/ /g, '');
  assert.ok(secret.length >= 32, 'the secret is shown as text');
  const turnedOn = await browser.post('/account/two-factor/enable', {
    code: await totpCodeAt(secret, clock),
  });
  assert.equal(turnedOn.status, 200);
  const recoveryCodes = [...turnedOn.html.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map(
    (m) => m[1] ?? '',
  );
  assert.equal(recoveryCodes.length, 10, 'ten recovery codes, shown once');
  const again = await browser.get('/account/two-factor');
  assert.doesNotMatch(again.html, new RegExp(secret.slice(0, 8)), 'the secret is never shown again');
  assert.match(again.html, /Recovery codes left: <strong>10<\/strong>/);
  return { secret, recoveryCodes };
}

const loginBody = (email: string) => ({ body: { email, password: PASSWORD } });

describe('API two-step login (issue 17)', () => {
  test('401 MFA_REQUIRED with details.mfaToken, then POST /users/login/two-factor gives the token', async () => {
    await signUpVerified(app, api, 'ada@example.com');
    const { secret } = await enrolThroughPages('ada@example.com');
    clock.advance(30);
    const first = await api.post('/api/users/login', loginBody('ada@example.com'));
    assertError(first, 401, 'MFA_REQUIRED');
    const { mfaToken } = (errorOf(first).details ?? {}) as { mfaToken?: string };
    assert.ok(mfaToken, first.text);

    const wrong = await api.post('/api/users/login/two-factor', { body: { mfaToken, code: '000000' } });
    assertError(wrong, 401, 'INVALID_CODE');
    const code = await totpCodeAt(secret, clock);
    const done = await api.post('/api/users/login/two-factor?include=user', { body: { mfaToken, code } });
    assert.equal(done.status, 200, done.text);
    const token = strictLogin.parse(done.json);
    assert.equal(token.user?.email, 'ada@example.com');
    const me = await api.get('/api/users/me', { headers: { authorization: token.id } });
    assert.equal(me.status, 200);

    const replay = await api.post('/api/users/login/two-factor', { body: { mfaToken, code } });
    assertError(replay, 401, 'INVALID_CODE');
    const bad = await api.post('/api/users/login/two-factor', { body: { mfaToken: 5, code } });
    assert.equal(bad.status, 422, bad.text);
    const forged = await api.post('/api/users/login/two-factor', { body: { mfaToken: '1.forged', code } });
    assertError(forged, 401, 'MFA_EXPIRED');
    clock.advance(301);
    const late = await api.post('/api/users/login/two-factor', { body: { mfaToken, code: '123456' } });
    assertError(late, 401, 'MFA_EXPIRED');
  });

  test('a recovery code completes the API login once', async () => {
    await signUpVerified(app, api, 'bob@example.com');
    const { recoveryCodes } = await enrolThroughPages('bob@example.com');
    const mfaTokenOf = async () => {
      const response = await api.post('/api/users/login', loginBody('bob@example.com'));
      return ((errorOf(response).details ?? {}) as { mfaToken?: string }).mfaToken ?? '';
    };
    const code = recoveryCodes[0] ?? '';
    const used = await api.post('/api/users/login/two-factor', {
      body: { mfaToken: await mfaTokenOf(), code },
    });
    assert.equal(used.status, 200, used.text);
    const again = await api.post('/api/users/login/two-factor', {
      body: { mfaToken: await mfaTokenOf(), code },
    });
    assertError(again, 401, 'INVALID_CODE');
    // Issue 14's "a new sign-in" (bob set two-factor up on a page) may come first: asked by subject.
    const on = await app.mail.waitFor(
      'bob@example.com',
      10_000,
      (mail) => mail.subject !== 'A new sign-in to your account',
    );
    assert.equal(on.subject, 'Two-factor sign-in is on');
    const notice = await app.mail.waitFor(
      'bob@example.com',
      10_000,
      (mail) => mail.subject !== 'A new sign-in to your account',
    );
    assert.equal(notice.subject, 'A recovery code was used');
    assert.match(notice.text, /9 recovery codes are left/);
  });

  test('the page sign-in: password, then /login/two-factor; five wrong codes and the person starts again', async () => {
    await signUpVerified(app, api, 'cy@example.com');
    const { secret } = await enrolThroughPages('cy@example.com');
    clock.advance(30);
    const browser = new FormClient(app.url);
    await browser.get('/');
    const password = await browser.post('/login', { email: 'cy@example.com', password: PASSWORD });
    assert.equal(password.location, '/login/two-factor');
    assert.equal((await browser.get('/home')).status, 303, 'no session before the second step');
    await browser.get('/login/two-factor');
    for (let attempt = 1; attempt < 5; attempt += 1) {
      const wrong = await browser.post('/login/two-factor', { code: '000000' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /not right/);
    }
    const fifth = await browser.post('/login/two-factor', { code: '000000' });
    assert.match(fifth.html, /Log in again/);
    const afterwards = await browser.post('/login/two-factor', { code: await totpCodeAt(secret, clock) });
    assert.match(afterwards.html, /Log in again/, 'the right code no longer helps: start again');

    await browser.get('/');
    await browser.post('/login', { email: 'cy@example.com', password: PASSWORD });
    await browser.get('/login/two-factor');
    const done = await browser.post('/login/two-factor', { code: await totpCodeAt(secret, clock) });
    assert.equal(done.location, '/home');
    assert.equal((await browser.get('/home')).status, 200);
  });
});
