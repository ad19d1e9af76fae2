import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient, pathOf } from '../helpers/browser.js';
import { api, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

/** The Set-Cookie lines of a response, by cookie name. */
function setCookies(headers: Headers): Map<string, string> {
  return new Map(headers.getSetCookie().map((line) => [line.slice(0, line.indexOf('=')), line]));
}

/** A second client holding a copy of another's cookies: what a thief or a fixation attacker holds. */
function copyOf(browser: FormClient): FormClient {
  const copy = new FormClient(browser.baseUrl);
  for (const [name, value] of browser.cookies) copy.cookies.set(name, value);
  return copy;
}

async function isLoggedIn(browser: FormClient): Promise<boolean> {
  return (await browser.get('/home')).status === 200;
}

describe('sessions and cookies over http://', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('the session cookie is HttpOnly, SameSite=Lax, Path=/; not Secure on plain http', async () => {
    const page = await new FormClient(app.url).get('/');
    const cookies = setCookies(page.headers);
    for (const name of ['session', 'session.sig']) {
      const line = cookies.get(name);
      assert.ok(line, `${name} is set`);
      assert.match(line, /; httponly/i);
      assert.match(line, /; samesite=lax/i);
      assert.match(line, /; path=\//i);
      assert.doesNotMatch(line, /; secure/i);
    }
  });

  test('"remember me" unchecked: the cookie ends with the browser; checked: it lasts the token lifetime', async () => {
    await seedUser(app, 'remember@example.com');
    const brief = await freshBrowser(app);
    const once = await brief.post('/login', { email: 'remember@example.com', password: PASSWORD });
    assert.doesNotMatch(setCookies(once.headers).get('session') ?? '', /expires=/i);
    const kept = await freshBrowser(app);
    const long = await kept.post('/login', {
      email: 'remember@example.com',
      password: PASSWORD,
      remember: 'on',
    });
    assert.match(setCookies(long.headers).get('session') ?? '', /expires=/i);
  });

  test("login CSRF: a cross-site form post without this session's token is refused with 403", async () => {
    await seedUser(app, 'csrf-login@example.com');
    const victim = await freshBrowser(app);
    const forged = await victim.post('/login', {
      _csrf: '',
      email: 'csrf-login@example.com',
      password: PASSWORD,
    });
    assert.equal(forged.status, 403);
    // A token from another session does not fit this one either.
    const attacker = await freshBrowser(app);
    const borrowed = await victim.post('/login', {
      _csrf: attacker.lastCsrf,
      email: 'csrf-login@example.com',
      password: PASSWORD,
    });
    assert.equal(borrowed.status, 403);
    assert.equal(await isLoggedIn(victim), false);
  });

  test('session fixation: the cookie a browser held before login authenticates nothing after it', async () => {
    await seedUser(app, 'fixed@example.com');
    const victim = await freshBrowser(app);
    const planted = copyOf(victim); // the attacker knows the pre-login cookie
    const login = await logInWith(victim, 'fixed@example.com', PASSWORD);
    assert.equal(login.status, 303);
    assert.notEqual(victim.cookies.get('session'), planted.cookies.get('session'));
    assert.equal(await isLoggedIn(victim), true);
    assert.equal(await isLoggedIn(planted), false);
  });

  test('logging in as someone else in the same browser spends the previous session token', async () => {
    await seedUser(app, 'first-user@example.com');
    await seedUser(app, 'second-user@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'first-user@example.com', PASSWORD);
    const firstSession = copyOf(browser);
    assert.equal(await isLoggedIn(firstSession), true);
    await browser.open('/');
    await logInWith(browser, 'second-user@example.com', PASSWORD);
    assert.equal(await isLoggedIn(firstSession), false);
  });

  test('log out spends the token server-side: a copied cookie is dead afterwards', async () => {
    await seedUser(app, 'leaver@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'leaver@example.com', PASSWORD);
    const stolen = copyOf(browser);
    await browser.get('/home');
    const out = await browser.post('/logout', {});
    assert.equal(out.status, 303);
    assert.equal(await isLoggedIn(stolen), false);
  });

  test('a GET of /logout logs nobody out (link prefetchers and img tags cannot end a session)', async () => {
    await seedUser(app, 'getter@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'getter@example.com', PASSWORD);
    assert.equal((await browser.get('/logout')).status, 200);
    assert.equal(await isLoggedIn(browser), true);
  });

  test('a password change starts a fresh session here and ends every other one', async () => {
    await seedUser(app, 'changer@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'changer@example.com', PASSWORD);
    const before = copyOf(browser);
    const laptop = await freshBrowser(app);
    await logInWith(laptop, 'changer@example.com', PASSWORD);
    await browser.get('/change-password');
    const changed = await browser.post('/change-password', {
      oldPassword: PASSWORD,
      newPassword: 'a fresh long password',
      confirmation: 'a fresh long password',
    });
    assert.equal(changed.status, 200);
    assert.notEqual(browser.cookies.get('session'), before.cookies.get('session'));
    assert.equal(await isLoggedIn(browser), true);
    assert.equal(await isLoggedIn(before), false, 'the pre-change cookie is dead');
    assert.equal(await isLoggedIn(laptop), false, 'other devices are logged out');
  });

  test('a password reset spends the link and every session of the user', async () => {
    await seedUser(app, 'resetter@example.com');
    const phone = await freshBrowser(app);
    await logInWith(phone, 'resetter@example.com', PASSWORD);
    const browser = await freshBrowser(app);
    await browser.post('/request-password-reset', { email: 'resetter@example.com' });
    const mail = await app.mail.waitFor('resetter@example.com', 30_000, (caught) =>
      caught.links.some((candidate) => candidate.includes('/reset-password?')),
    );
    const link = mail.links.find((candidate) => candidate.includes('/reset-password?'))!;
    const token = new URL(link).searchParams.get('access_token')!;
    assert.equal((await browser.get(pathOf(link))).status, 200);
    assert.equal((await browser.get(pathOf(link))).status, 200, 'opening the link twice spends nothing');
    const fields = {
      access_token: token,
      password: 'a reset long password',
      confirmation: 'a reset long password',
    };
    assert.equal((await browser.post('/reset-password', fields)).status, 200);
    assert.equal(await isLoggedIn(phone), false);
    await browser.open('/'); // the reset ended this browser's session too: a fresh CSRF token
    assert.equal((await browser.post('/reset-password', fields)).status, 401, 'the link works once');
    assert.equal((await browser.get(pathOf(link))).status, 401);
  });

  test('log out everywhere ends the sessions of every device', async () => {
    await seedUser(app, 'everywhere@example.com');
    const one = await freshBrowser(app);
    const two = await freshBrowser(app);
    await logInWith(one, 'everywhere@example.com', PASSWORD);
    await logInWith(two, 'everywhere@example.com', PASSWORD);
    await one.get('/home');
    await one.post('/logout-all', {});
    assert.equal(await isLoggedIn(two), false);
    assert.equal(await isLoggedIn(one), false);
  });

  test('a tampered session cookie is ignored (the signature does not match)', async () => {
    await seedUser(app, 'signed@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'signed@example.com', PASSWORD);
    const forged = copyOf(browser);
    const payload = Buffer.from(forged.cookies.get('session')!, 'base64').toString('utf8');
    const altered = payload.replace(/"token":"[^"]+"/, `"token":"${'A'.repeat(64)}"`);
    forged.cookies.set('session', Buffer.from(altered).toString('base64'));
    assert.equal(await isLoggedIn(forged), false);
    const unsigned = copyOf(browser);
    unsigned.cookies.delete('session.sig');
    assert.equal(await isLoggedIn(unsigned), false);
  });

  test('pages and API answers that show account data are Cache-Control: no-store', async () => {
    await seedUser(app, 'cached@example.com');
    const browser = await freshBrowser(app);
    await logInWith(browser, 'cached@example.com', PASSWORD);
    for (const page of ['/home', '/change-password', '/logout']) {
      assert.equal((await browser.get(page)).headers.get('cache-control'), 'no-store', page);
    }
    const login = await api(app, 'POST', '/api/users/login', {
      email: 'cached@example.com',
      password: PASSWORD,
    });
    assert.equal(login.headers.get('cache-control'), 'no-store');
    const token = (login.json as { id: string }).id;
    const me = await api(app, 'GET', '/api/users/me', undefined, { authorization: token });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('cache-control'), 'no-store');
  });

  test('the data files hold no token secret: a copied db.json opens no account', async () => {
    await seedUser(app, 'copied@example.com');
    const login = await api(app, 'POST', '/api/users/login', {
      email: 'copied@example.com',
      password: PASSWORD,
    });
    const secret = (login.json as { id: string }).id;
    assert.match(secret, /^[A-Za-z0-9_-]{64}$/);
    await app.stop();
    const files = (await readdir(app.dir, { recursive: true })).map((name) => path.join(app.dir, name));
    for (const file of files) {
      const content = await readFile(file).catch(() => Buffer.alloc(0));
      assert.ok(!content.includes(secret), `${file} holds the secret`);
    }
  });
});

describe('sessions and cookies when APP_URL is https://', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { APP_URL: 'https://users.example.test' } });
  });
  after(async () => {
    await app.close();
  });

  test('the cookie is __Host-session: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const page = await new FormClient(app.url).get('/');
    const cookies = setCookies(page.headers);
    for (const name of ['__Host-session', '__Host-session.sig']) {
      const line = cookies.get(name);
      assert.ok(line, `${name} is set`);
      assert.match(line, /; secure/i);
      assert.match(line, /; httponly/i);
      assert.match(line, /; samesite=lax/i);
      assert.match(line, /; path=\/(;|$)/i);
      assert.doesNotMatch(line, /; domain=/i);
    }
    assert.equal(cookies.has('session'), false);
  });

  test('logging in works with the prefixed cookie and HSTS is sent', async () => {
    await seedUser(app, 'secure@example.com');
    const browser = await freshBrowser(app);
    const login = await logInWith(browser, 'secure@example.com', PASSWORD);
    assert.equal(login.status, 303);
    const home = await browser.get('/home');
    assert.equal(home.status, 200);
    assert.match(home.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });
});
