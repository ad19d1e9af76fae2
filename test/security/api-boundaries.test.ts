import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DEVELOPMENT_SESSION_KEY } from '../../server/config.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createFakeClock } from '../helpers/clock.js';
import { api, errorOf, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

// Issue 10.7 and 10.1 at the HTTP edge, and issue 9.6's trickled body.
const clock = createFakeClock();
let app: TestApp;
before(async () => {
  app = await startApp({ clock, env: { REQUEST_TIMEOUT: '1' } });
  await seedUser(app, 'victim@example.com');
  await seedUser(app, 'attacker@example.com');
});
after(async () => {
  await app.close();
});

const signed = (name: string, value: string) =>
  `${name}=${value}; ${name}.sig=${createHmac('sha1', DEVELOPMENT_SESSION_KEY).update(`${name}=${value}`).digest('base64url')}`;

async function tokenOf(email: string): Promise<string> {
  const login = await api(app, 'POST', '/api/users/login', { email, password: PASSWORD });
  assert.equal(login.status, 200, login.text);
  return (login.json as { id: string }).id;
}

describe('a planted access_token cookie (issue 10.7)', () => {
  test('unsigned: ignored on the API and the pages', async () => {
    const planted = `access_token=${await tokenOf('attacker@example.com')}`;
    assert.equal((await api(app, 'GET', '/api/users/me', undefined, { cookie: planted })).status, 401);
    const home = await fetch(new URL('/home', app.url), { headers: { cookie: planted }, redirect: 'manual' });
    assert.equal(home.status, 303, 'not logged in as the attacker');
  });

  test("the page session always wins: a victim who logs in lands in their own account, not the planter's", async () => {
    const planted = signed('access_token', await tokenOf('attacker@example.com'));
    const victim = await freshBrowser(app);
    assert.equal((await logInWith(victim, 'victim@example.com', PASSWORD)).status, 303);
    const cookie = `${victim.cookieHeader()}; ${planted}`;
    const me = await api(app, 'GET', '/api/users/me', undefined, { cookie });
    assert.equal((me.json as { email?: string }).email, 'victim@example.com');
    const home = await fetch(new URL('/home', app.url), { headers: { cookie } });
    assert.match(await home.text(), /victim@example\.com/);
  });
});

describe('API calls the page session authenticates need the CSRF token or this origin (issue 10.7)', () => {
  test('POST /api/users/logout from another site is refused and logs nobody out', async () => {
    const browser = await freshBrowser(app);
    assert.equal((await logInWith(browser, 'victim@example.com', PASSWORD)).status, 303);
    const cookie = browser.cookieHeader();
    const attempts: Record<string, string>[] = [
      { cookie },
      { cookie, origin: 'https://evil.example' },
      { cookie, origin: 'null' },
    ];
    for (const headers of attempts) {
      const forged = await api(app, 'POST', '/api/users/logout', undefined, headers);
      assert.equal(forged.status, 403, JSON.stringify(headers));
      assert.equal(errorOf(forged).code, 'EBADCSRFTOKEN');
    }
    assert.equal(
      (await api(app, 'GET', '/api/users/me', undefined, { cookie })).status,
      200,
      'still logged in',
    );
    // The page's own CSRF token works, as a same-origin Origin does.
    const page = await browser.get('/home');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    assert.ok(csrf);
    const out = await api(app, 'POST', '/api/users/logout', undefined, {
      cookie: browser.cookieHeader(),
      'x-csrf-token': csrf,
    });
    assert.equal(out.status, 204, out.text);
  });

  test('a header token needs no CSRF token: no other site can send it', async () => {
    const token = await tokenOf('victim@example.com');
    const out = await api(app, 'POST', '/api/users/logout', undefined, {
      authorization: token,
      origin: 'https://elsewhere.example',
    });
    assert.equal(out.status, 204);
  });
});

describe('re-authentication for an email change and account deletion (issue 10.1)', () => {
  test('a token older than 10 minutes needs currentPassword; a wrong one is always 401', async () => {
    await seedUser(app, 'stolen@example.com');
    const token = await tokenOf('stolen@example.com');
    const patch = (body: Record<string, string>) =>
      api(app, 'PATCH', '/api/users/me', body, { authorization: token });
    // Fresh token, wrong password: refused whatever the token's age.
    const wrongFresh = await patch({ email: 'thief@example.com', currentPassword: 'not the password' });
    assert.equal(wrongFresh.status, 401);
    assert.equal(errorOf(wrongFresh).code, 'REAUTHENTICATION_REQUIRED');
    clock.advance(11 * 60);
    const old = await patch({ email: 'thief@example.com' });
    assert.equal(old.status, 401);
    assert.equal(errorOf(old).code, 'REAUTHENTICATION_REQUIRED');
    const deleted = await api(app, 'DELETE', '/api/users/me', undefined, { authorization: token });
    assert.equal(deleted.status, 401);
    assert.equal(errorOf(deleted).code, 'REAUTHENTICATION_REQUIRED');
    // A username change needs no re-authentication.
    assert.equal((await patch({ username: 'still-mine' })).status, 200);
    const proven = await patch({ email: 'moving@example.com', currentPassword: PASSWORD });
    assert.equal(proven.status, 200, proven.text);
    assert.equal((proven.json as { email: string }).email, 'stolen@example.com', 'pending until confirmed');
    const gone = await api(
      app,
      'DELETE',
      '/api/users/me',
      { currentPassword: PASSWORD },
      { authorization: token },
    );
    assert.equal(gone.status, 200, gone.text);
  });
});

describe('zero-width and direction-changing characters are refused with a 422 (issue 10.7)', () => {
  test('sign-up and PATCH name the field with the characters code', async () => {
    for (const [field, value] of [
      ['email', 'bob\u200b@example.com'],
      ['email', 'bob\u202e@example.com'],
      ['username', 'bo\u200db'],
      ['username', 'evil\u202egnp'],
    ] as const) {
      const body = { email: 'chars@example.com', password: PASSWORD, [field]: value };
      const answer = await api(app, 'POST', '/api/users', body);
      assert.equal(answer.status, 422, answer.text);
      const details = errorOf(answer) as { details?: { codes: Record<string, string[]> } };
      assert.deepEqual(details.details?.codes[field], ['characters']);
    }
  });
});

describe('a request body that trickles in is cut off (issue 9.6)', () => {
  test('REQUEST_TIMEOUT: a clear 408 and the connection closed, not a held socket', async () => {
    const { hostname, port } = new URL(app.url);
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      'POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    await closed;
    clearInterval(drip);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });
});

describe('/dev/outbox is served to this machine only (issue 10.7)', () => {
  let devApp: TestApp;
  before(async () => {
    // No SMTP_URL: the development outbox. TRUST_PROXY so a proxy on this machine can name its client.
    devApp = await startApp({ env: { SMTP_URL: '', TRUST_PROXY: 'true' } });
  });
  after(async () => {
    await devApp.close();
  });

  test('a loopback client sees it; a client a proxy names from elsewhere gets the ordinary 404', async () => {
    const local = await fetch(new URL('/dev/outbox', devApp.url));
    assert.equal(local.status, 200);
    for (const forwarded of ['203.0.113.9', '10.0.0.1', '127.0.0.1, 198.51.100.4']) {
      const remote = await fetch(new URL('/dev/outbox', devApp.url), {
        headers: { 'x-forwarded-for': forwarded },
      });
      assert.equal(remote.status, 404, forwarded);
      assert.doesNotMatch(await remote.text(), /outbox/i);
    }
    const viaLocalProxy = await fetch(new URL('/dev/outbox', devApp.url), {
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    assert.equal(viaLocalProxy.status, 200);
  });
});
