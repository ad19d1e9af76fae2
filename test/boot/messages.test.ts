import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient, type Page, pathOf } from '../helpers/browser.js';

const PASSWORD = 'correct horse battery staple';

/** The one flash message a page shows (role="status" in the layout), or null. */
function flashOf(page: Page): string | null {
  return /<div class="flash" role="status"><p>([^<]*)<\/p>/.exec(page.html)?.[1] ?? null;
}

async function verifiedBrowser(app: TestApp, email: string): Promise<{ browser: FormClient; link: string }> {
  const browser = new FormClient(app.url);
  await browser.open('/');
  await browser.post('/signup', { email, password: PASSWORD });
  const link = (await app.mail.waitFor(email)).links.find((candidate) => candidate.includes('/verify?'))!;
  await browser.get(pathOf(link));
  const url = new URL(link);
  const done = await browser.post('/verify/login', {
    uid: url.searchParams.get('uid') ?? '',
    token: url.searchParams.get('token') ?? '',
    password: PASSWORD,
  });
  assert.equal(done.location, '/verified');
  return { browser, link };
}

describe('pages: a message after every action (issue 13.3)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('verifying shows "Email verified" once; /verified opened again goes home', async () => {
    const { browser, link } = await verifiedBrowser(app, 'flash-verify@example.com');
    const page = await browser.get('/verified');
    assert.equal(page.status, 200);
    assert.match(page.html, /Email verified/);
    const again = await browser.get('/verified');
    assert.equal(again.status, 303);
    assert.equal(again.location, '/home');
    const stranger = await new FormClient(app.url).get('/verified');
    assert.equal(stranger.location, '/');

    // The link opened a second time says the address is verified and offers a way in.
    const reopened = await new FormClient(app.url).get(pathOf(link));
    assert.equal(reopened.status, 400);
    assert.match(reopened.html, /already verified/);
    assert.match(reopened.html, /href="\/">Log in</);
    assert.doesNotMatch(reopened.html, /action="\/verify/);
  });

  test('a logged-in browser opening / goes home (or to its safe next)', async () => {
    const { browser } = await verifiedBrowser(app, 'flash-index@example.com');
    const index = await browser.get('/');
    assert.equal(index.status, 303);
    assert.equal(index.location, '/home');
    assert.equal((await browser.get('/?next=/change-password')).location, '/change-password');
    assert.equal((await browser.get('/?next=//evil.example')).location, '/home');
  });

  test('log out says so once; GET /logout logged out says there is nothing to end', async () => {
    const { browser } = await verifiedBrowser(app, 'flash-logout@example.com');
    await browser.open('/home');
    const out = await browser.post('/logout', {});
    assert.equal(out.location, '/');
    const index = await browser.get('/');
    assert.equal(index.status, 200);
    assert.equal(flashOf(index), 'You are logged out.');
    assert.equal(flashOf(await browser.get('/')), null, 'shown once');
    const logout = await browser.get('/logout');
    assert.equal(logout.status, 200);
    assert.match(logout.html, /You are not logged in/);
    assert.doesNotMatch(logout.html, /action="\/logout"/);
    // The index page still posts: the flash cookie carried a CSRF secret of its own.
    assert.equal((await browser.post('/request-password-reset', { email: 'x@example.com' })).status, 200);
  });

  test('log out everywhere: this browser is told, the other one learns its session ended', async () => {
    const { browser: one } = await verifiedBrowser(app, 'flash-everywhere@example.com');
    const two = new FormClient(app.url);
    await two.open('/');
    assert.equal(
      (await two.post('/login', { email: 'flash-everywhere@example.com', password: PASSWORD })).status,
      303,
    );
    await one.open('/home');
    assert.equal((await one.post('/logout-all', {})).location, '/');
    assert.equal(flashOf(await one.get('/')), 'You are logged out on every device.');

    const home = await two.get('/home');
    assert.equal(home.status, 303);
    assert.equal(home.location, '/?next=/home');
    const index = await two.get(home.location!);
    assert.match(flashOf(index) ?? '', /Your session ended elsewhere/);
    assert.equal(flashOf(await two.get('/?next=/home')), 'Log in to continue.');
    // The form shown with the message still posts (the CSRF secret survived the dead token).
    assert.equal(
      (await two.post('/login', { email: 'flash-everywhere@example.com', password: PASSWORD, next: '/home' }))
        .location,
      '/home',
    );
  });

  test('every page a logged-in browser gets is no-store, error pages included', async () => {
    const { browser } = await verifiedBrowser(app, 'flash-nostore@example.com');
    for (const path of ['/home', '/logout', '/change-password', '/no-such-page', '/account/two-factor']) {
      const page = await browser.get(path);
      assert.match(page.html, /Logged in as/, path);
      assert.equal(page.headers.get('cache-control'), 'no-store', path);
    }
  });

  test('/?next=… asks to log in to continue', async () => {
    const page = await new FormClient(app.url).get('/?next=/home');
    assert.equal(flashOf(page), 'Log in to continue.');
    assert.equal(flashOf(await new FormClient(app.url).get('/')), null);
  });

  test('changing the password says so in a status message', async () => {
    const { browser } = await verifiedBrowser(app, 'flash-change@example.com');
    await browser.open('/change-password');
    const changed = await browser.post('/change-password', {
      oldPassword: PASSWORD,
      newPassword: 'an entirely new secret',
      confirmation: 'an entirely new secret',
    });
    assert.equal(changed.status, 200);
    assert.equal(flashOf(changed), 'Password changed. Other sessions have been logged out.');
  });
});
