import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listActivity } from '../../server/auth/activity.js';
import { emailKey } from '../../server/auth/canonical.js';
import { authDepsOf } from '../../server/auth-deps.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient, pathOf } from '../helpers/browser.js';
import type { CaughtMail } from '../helpers/smtp-sink.js';
import { api, freshBrowser, PASSWORD, seedUser } from '../security/support.js';

/**
 * Issue 14's account pages on the real app: sessions, activity, email change and deletion, each
 * action confirmed by a message, and the notification emails they send caught by the SMTP sink.
 */

const FIREFOX = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' };
const SAFARI = {
  'user-agent':
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
};

let app: TestApp;

before(async () => {
  app = await startApp();
});
after(async () => {
  await app.close();
});

/** A browser logged in as `email` (a fresh one unless given), with `headers` on every request. */
async function loggedIn(email: string, headers: Record<string, string> = FIREFOX, browser?: FormClient) {
  const client = browser ?? (await freshBrowser(app, headers));
  if (browser) await client.open('/', headers);
  const login = await client.post('/login', { email, password: PASSWORD }, headers);
  assert.equal(login.status, 303, login.html);
  assert.equal(login.location, '/home');
  return client;
}

/** The flash the next rendered page shows. */
async function flashAfter(browser: FormClient, path: string, headers: Record<string, string> = FIREFOX) {
  const page = await browser.open(path, headers);
  return /<div class="flash" role="status"><p>([^<]*)<\/p>/.exec(page.html)?.[1] ?? '';
}

async function activityTypes(email: string): Promise<string[]> {
  const user = await app.store.findUserByEmailKey(emailKey(email) ?? '');
  assert.ok(user);
  const entries = await listActivity(authDepsOf(app.server.deps), user.id, { limit: 100 });
  return entries.map((entry) => entry.type);
}

/** A notice carries no link that logs anyone in: no token of any kind in it. */
function assertNoLoginLink(mail: CaughtMail) {
  for (const link of mail.links) assert.doesNotMatch(link, /token=|access_token/, link);
}

describe('issue 14: /account/sessions', () => {
  test('lists every session with device, address and kind; this browser marked; one revoked ends on its next request', async () => {
    await seedUser(app, 'sessions@example.com');
    const laptop = await loggedIn('sessions@example.com', FIREFOX);
    const phone = await loggedIn('sessions@example.com', SAFARI);
    const token = await api(app, 'POST', '/api/users/login', {
      email: 'sessions@example.com',
      password: PASSWORD,
    });
    assert.equal(token.status, 200);

    const page = await laptop.get('/account/sessions', FIREFOX);
    assert.equal(page.status, 200);
    assert.match(page.html, /Firefox on Linux/);
    assert.match(page.html, /Mobile Safari on iOS/);
    assert.match(page.html, /This browser/);
    assert.match(page.html, /API token/);
    assert.match(page.html, /127\.0\.0\.1/);
    assert.equal(page.html.match(/This browser<\/span>/g)?.length, 1);
    assert.ok(!page.html.includes((token.json as { id: string }).id), 'no secret on the page');

    // The phone's row: the Safari heading's form carries its id.
    const phoneRow = /Mobile Safari on iOS[\s\S]*?name="id" value="([^"]+)"/.exec(page.html);
    assert.ok(phoneRow?.[1]);
    const revoked = await laptop.post('/account/sessions/revoke', { id: phoneRow[1] }, FIREFOX);
    assert.equal(revoked.status, 303);
    assert.match(
      await flashAfter(laptop, '/account/sessions'),
      /Logged out the session on Mobile Safari on iOS/,
    );
    const phoneHome = await phone.get('/home', SAFARI);
    assert.equal(phoneHome.status, 303, 'the phone is logged out on its next request');
    assert.equal((await laptop.get('/home', FIREFOX)).status, 200);

    assert.equal((await laptop.post('/account/sessions/revoke-others', {}, FIREFOX)).status, 303);
    assert.match(await flashAfter(laptop, '/account/sessions'), /Logged out 1 other session/);
    const apiCall = await api(app, 'GET', '/api/users/me', undefined, {
      authorization: (token.json as { id: string }).id,
    });
    assert.equal(apiCall.status, 401, 'the API token went with "everywhere else"');
    assert.equal((await laptop.get('/home', FIREFOX)).status, 200, 'this browser stays');

    const types = await activityTypes('sessions@example.com');
    assert.ok(types.includes('session-revoked'));
    assert.ok(types.includes('sessions-revoked'));
  });

  test('a page sign-in is a browser session; logging out is in the log; the pages need a login', async () => {
    await seedUser(app, 'browser@example.com');
    const browser = await loggedIn('browser@example.com');
    const listed = await api(app, 'GET', '/api/users/me/accessTokens', undefined, {
      cookie: browser.cookieHeader(),
    });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      (listed.json as Array<{ session: string }>).map((token) => token.session),
      ['browser'],
    );
    await browser.get('/home', FIREFOX);
    assert.equal((await browser.post('/logout', {}, FIREFOX)).status, 303);
    assert.deepEqual((await activityTypes('browser@example.com')).slice(0, 2), ['logout', 'login']);
    for (const path of ['/account/sessions', '/account/activity', '/account/email', '/account/delete']) {
      const page = await new FormClient(app.url).get(path);
      assert.equal(page.status, 303, path);
      assert.equal(page.location, `/?next=${encodeURIComponent(path)}`);
    }
  });
});

describe('issue 14: notification emails', () => {
  test('a sign-in from a browser without the device cookie emails the owner once; the same browser again does not', async () => {
    await seedUser(app, 'newdevice@example.com');
    const browser = await loggedIn('newdevice@example.com', FIREFOX);
    const notice = await app.mail.waitForSubject('newdevice@example.com', 'A new sign-in to your account');
    assert.match(notice.text, /Firefox on Linux/);
    assert.match(notice.text, /127\.0\.0\.1/);
    assert.match(notice.text, /\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.match(notice.text, /If it was not you/);
    assert.ok(notice.links.some((link) => new URL(link).pathname === '/account/sessions'));
    assertNoLoginLink(notice);

    await browser.get('/home', FIREFOX);
    assert.equal((await browser.post('/logout', {}, FIREFOX)).status, 303);
    await loggedIn('newdevice@example.com', FIREFOX, browser);
    await loggedIn('newdevice@example.com', SAFARI);
    const second = await app.mail.waitForSubject('newdevice@example.com', 'A new sign-in to your account');
    assert.match(second.text, /Mobile Safari on iOS/, 'the known browser signed in quietly in between');
  });

  test('a password change and a password reset each email "your password was changed"', async () => {
    await seedUser(app, 'changed@example.com');
    const browser = await loggedIn('changed@example.com');
    await browser.get('/change-password', FIREFOX);
    const newPassword = 'a brand new passphrase 2';
    const changed = await browser.post(
      '/change-password',
      { oldPassword: PASSWORD, newPassword, confirmation: newPassword },
      FIREFOX,
    );
    assert.equal(changed.status, 200, changed.html);
    assert.match(changed.html, /Password changed/);
    const notice = await app.mail.waitForSubject('changed@example.com', 'Your password was changed');
    assert.match(notice.text, /was changed\./);
    assert.match(notice.text, /Firefox on Linux/);
    assert.match(notice.text, /If it was not you, reset your password/);
    assertNoLoginLink(notice);

    const other = await freshBrowser(app);
    await other.post('/request-password-reset', { email: 'changed@example.com' });
    const resetMail = await app.mail.waitForSubject('changed@example.com', 'Reset your password');
    const link = resetMail.links.find((candidate) => candidate.includes('/reset-password?'));
    assert.ok(link);
    await other.get(pathOf(link));
    const resetPassword = 'another passphrase 3!';
    const reset = await other.post('/reset-password', {
      access_token: new URL(link).searchParams.get('access_token') ?? '',
      password: resetPassword,
      confirmation: resetPassword,
    });
    assert.equal(reset.status, 200, reset.html);
    const resetNotice = await app.mail.waitForSubject('changed@example.com', 'Your password was changed');
    assert.match(resetNotice.text, /reset through an emailed link/);
    assertNoLoginLink(resetNotice);
    const types = await activityTypes('changed@example.com');
    assert.ok(types.includes('password-changed'));
    assert.ok(types.includes('password-reset'));
  });
});

describe('issue 14: /account/activity', () => {
  test('newest first, 20 a page, with an older page; failures shown to the owner', async () => {
    await seedUser(app, 'activity@example.com');
    for (let i = 0; i < 22; i += 1) {
      await api(app, 'POST', '/api/users/login', {
        email: 'activity@example.com',
        password: 'not it at all',
      });
    }
    const browser = await loggedIn('activity@example.com');
    const first = await browser.get('/account/activity', FIREFOX);
    assert.equal(first.status, 200);
    const items = first.html.match(/<li class="activity-item">/g) ?? [];
    assert.equal(items.length, 20);
    assert.ok(
      first.html.indexOf('Signed in') < first.html.indexOf('Failed sign-in'),
      'the newest (the sign-in) comes first',
    );
    assert.ok(!first.html.includes('not it at all'), 'never the password tried');
    const older = /href="(\/account\/activity\?before=\d+)"/.exec(first.html)?.[1];
    assert.ok(older);
    const second = await browser.get(older, FIREFOX);
    assert.equal((second.html.match(/<li class="activity-item">/g) ?? []).length, 3);
    assert.match(second.html, /href="\/account\/activity">Newest/);
    assert.equal((await browser.get('/account/activity?before=nonsense', FIREFOX)).status, 200);
  });
});

describe('issue 14: /account/email', () => {
  test('the current password is required; the new address is pending with resend and cancel; the old address gets a cancel link', async () => {
    await seedUser(app, 'old@example.com');
    const browser = await loggedIn('old@example.com');
    await browser.get('/account/email', FIREFOX);
    const wrong = await browser.post(
      '/account/email',
      { email: 'new@example.com', currentPassword: 'wrong password here' },
      FIREFOX,
    );
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /The current password is not right/);
    assert.match(wrong.html, /value="new@example.com"/, 'the typed address is kept');
    const missing = await browser.post('/account/email', { email: 'new@example.com' }, FIREFOX);
    assert.equal(missing.status, 400);

    const asked = await browser.post(
      '/account/email',
      { email: 'new@example.com', currentPassword: PASSWORD },
      FIREFOX,
    );
    assert.equal(asked.status, 303);
    assert.match(await flashAfter(browser, '/account/email'), /Check new@example.com for a link/);
    const page = await browser.get('/account/email', FIREFOX);
    assert.match(page.html, /Waiting for confirmation/);
    assert.match(page.html, /Resend the link/);
    assert.match(page.html, /Cancel the change/);
    const notice = await app.mail.waitForSubject('old@example.com', 'Your email address is being changed');
    assert.ok(notice.links.some((link) => new URL(link).pathname === '/account/email/cancel'));
    await app.mail.waitForSubject('new@example.com', 'Confirm your new email address');

    assert.equal((await browser.post('/account/email/resend', {}, FIREFOX)).status, 303);
    assert.match(await flashAfter(browser, '/account/email'), /new confirmation link/);
    await app.mail.waitForSubject('new@example.com', 'Confirm your new email address');

    assert.equal((await browser.post('/account/email/cancel-change', {}, FIREFOX)).status, 303);
    assert.match(await flashAfter(browser, '/account/email'), /Email change cancelled/);
    assert.doesNotMatch((await browser.get('/account/email', FIREFOX)).html, /Waiting for confirmation/);
    const types = await activityTypes('old@example.com');
    assert.ok(types.includes('email-change-requested'));
    assert.ok(types.includes('email-change-cancelled'));
  });

  test('confirming the new address completes the change; the old cancel link stops working', async () => {
    await seedUser(app, 'before@example.com');
    const browser = await loggedIn('before@example.com');
    await browser.get('/account/email', FIREFOX);
    await browser.post('/account/email', { email: 'after@example.com', currentPassword: PASSWORD }, FIREFOX);
    const notice = await app.mail.waitForSubject('before@example.com', 'Your email address is being changed');
    const cancel = notice.links.find((link) => link.includes('/account/email/cancel?'));
    assert.ok(cancel);
    const confirm = await app.mail.waitForSubject('after@example.com', 'Confirm your new email address');
    const link = confirm.links.find((candidate) => candidate.includes('/verify?'));
    assert.ok(link);
    await browser.get(pathOf(link), FIREFOX);
    const url = new URL(link);
    const confirmed = await browser.post(
      '/verify',
      { uid: url.searchParams.get('uid') ?? '', token: url.searchParams.get('token') ?? '' },
      FIREFOX,
    );
    assert.equal(confirmed.status, 303, confirmed.html);
    assert.match((await browser.get('/account/email', FIREFOX)).html, /after@example.com/);
    const stranger = new FormClient(app.url);
    await stranger.get(pathOf(cancel));
    const cancelUrl = new URL(cancel);
    const late = await stranger.post('/account/email/cancel', {
      uid: cancelUrl.searchParams.get('uid') ?? '',
      token: cancelUrl.searchParams.get('token') ?? '',
    });
    assert.equal(late.status, 400, 'the cancel link ended with the change');
    assert.ok((await activityTypes('after@example.com')).includes('email-changed'));
  });

  test('a taken address is answered as a free one', async () => {
    await seedUser(app, 'holder@example.com');
    await seedUser(app, 'mover@example.com');
    const browser = await loggedIn('mover@example.com');
    await browser.get('/account/email', FIREFOX);
    const asked = await browser.post(
      '/account/email',
      { email: 'holder@example.com', currentPassword: PASSWORD },
      FIREFOX,
    );
    assert.equal(asked.status, 303);
    assert.match(await flashAfter(browser, '/account/email'), /Check holder@example.com for a link/);
    await app.mail.waitForSubject(
      'holder@example.com',
      'Someone tried to move an account to your email address',
    );
  });
});

describe('issue 14: /account/delete and DELETE /api/users/:id', () => {
  test('the page needs the current password; then the user, sessions, mail and log go but the "deleted" email; the address signs up again', async () => {
    await seedUser(app, 'leaving@example.com');
    const browser = await loggedIn('leaving@example.com');
    const other = await loggedIn('leaving@example.com', SAFARI);
    const form = await browser.get('/account/delete', FIREFOX);
    assert.match(form.html, /cannot be undone/);
    assert.match(form.html, /security activity/);
    const wrong = await browser.post('/account/delete', { currentPassword: 'not my password' }, FIREFOX);
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /The current password is not right/);
    assert.ok(await app.store.findUserByEmailKey('leaving@example.com'));

    const events: Array<{ method: string; device?: string }> = [];
    app.server.deps.events.on('accountDeleted', (event) => events.push(event));
    const deleted = await browser.post('/account/delete', { currentPassword: PASSWORD }, FIREFOX);
    assert.equal(deleted.status, 303);
    assert.equal(deleted.location, '/');
    assert.match(await flashAfter(browser, '/'), /Your account is deleted/);
    assert.equal(await app.store.findUserByEmailKey('leaving@example.com'), null);
    // The log went with the account; the event (method, address, device) reaches the operator's log.
    assert.deepEqual(
      events.map((event) => [event.method, event.device]),
      [['password', 'Firefox on Linux']],
    );
    assert.equal((await other.get('/home', SAFARI)).status, 303, 'every session ended');
    const mail = await app.mail.waitForSubject('leaving@example.com', 'Your account was deleted');
    assert.match(mail.text, /Firefox on Linux/);
    assert.match(mail.text, /If it was not you/);
    assertNoLoginLink(mail);

    const again = await api(app, 'POST', '/api/users', { email: 'leaving@example.com', password: PASSWORD });
    assert.equal(again.status, 200, again.text);
  });

  test('the API deletes with the current password too, and sends the same last email', async () => {
    await seedUser(app, 'apileaving@example.com');
    const login = await api(app, 'POST', '/api/users/login', {
      email: 'apileaving@example.com',
      password: PASSWORD,
    });
    const token = (login.json as { id: string }).id;
    const wrong = await api(
      app,
      'DELETE',
      '/api/users/me',
      { currentPassword: 'nope nope nope' },
      { authorization: token },
    );
    assert.equal(wrong.status, 401);
    const gone = await api(
      app,
      'DELETE',
      '/api/users/me',
      { currentPassword: PASSWORD },
      { authorization: token },
    );
    assert.equal(gone.status, 200, gone.text);
    await app.mail.waitForSubject('apileaving@example.com', 'Your account was deleted');
    assert.equal((await api(app, 'GET', '/api/users/me', undefined, { authorization: token })).status, 401);
  });
});
