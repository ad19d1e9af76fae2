import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from './helpers/app.js';
import { FormClient, pathOf } from './helpers/browser.js';
import { mailQueueEmpty } from './helpers/until.js';

const PASSWORD = 'correct horse battery staple';

async function signUpAndVerify(app: TestApp, email: string, password = PASSWORD): Promise<FormClient> {
  const browser = new FormClient(app.url);
  await browser.open('/');
  const signed = await browser.post('/signup', { email, password, username: '' });
  assert.equal(signed.status, 200);
  assert.match(signed.html, /Signed up successfully/);
  const mail = await app.mail.waitFor(email);
  assert.match(mail.subject, /Confirm your email/);
  const link = mail.links.find((candidate) => candidate.includes('/verify?'));
  assert.ok(link, 'the verification email carries a link');
  assert.ok(link.startsWith(app.appUrl), 'the link is built from APP_URL');
  await verifyWithLink(browser, link, password);
  return browser;
}

/** Opens the emailed link (a page that changes nothing) and proves the account with its password. */
async function verifyWithLink(browser: FormClient, link: string, password: string) {
  const page = await browser.get(pathOf(link));
  assert.equal(page.status, 200);
  assert.match(page.html, /action="\/verify\/login"/);
  const url = new URL(link);
  const verified = await browser.post('/verify/login', {
    uid: url.searchParams.get('uid') ?? '',
    token: url.searchParams.get('token') ?? '',
    password,
  });
  assert.equal(verified.status, 303);
  assert.equal(verified.location, '/verified');
  return verified;
}

async function logIn(browser: FormClient, email: string, password: string) {
  await browser.open('/');
  return browser.post('/login', { email, password });
}

describe('pages: the flows a person walks', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('sign up → email → verify → log in → home → log out', async () => {
    const browser = await signUpAndVerify(app, 'ada@example.com');
    const login = await logIn(browser, 'ADA@example.com', PASSWORD);
    assert.equal(login.status, 303);
    assert.equal(login.location, '/home');
    const home = await browser.get('/home');
    assert.equal(home.status, 200);
    assert.match(home.html, /Logged in as ada@example\.com/);
    assert.equal(home.headers.get('cache-control'), 'no-store');
    const out = await browser.post('/logout', {});
    assert.equal(out.status, 303);
    assert.equal(out.location, '/');
    const closed = await browser.get('/home');
    assert.equal(closed.status, 303);
    assert.equal(closed.location, '/?next=/home');
  });

  test('a GET of /logout shows a button and logs nobody out', async () => {
    const browser = await signUpAndVerify(app, 'getlogout@example.com');
    await logIn(browser, 'getlogout@example.com', PASSWORD);
    const page = await browser.get('/logout');
    assert.equal(page.status, 200);
    assert.match(page.html, /<form[^>]+action="\/logout"/);
    assert.equal((await browser.get('/home')).status, 200);
  });

  test('an unverified email cannot log in and can have the link sent again', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'unverified@example.com', password: PASSWORD });
    await app.mail.waitFor('unverified@example.com');
    const login = await logIn(browser, 'unverified@example.com', PASSWORD);
    assert.equal(login.status, 401);
    assert.match(login.html, /Login failed/);
    assert.match(login.html, /not verified/);
    assert.match(login.html, /action="\/resend-verification"/);
    const resent = await browser.post('/resend-verification', { email: 'unverified@example.com' });
    assert.equal(resent.status, 200);
    const mail = await app.mail.waitFor('unverified@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/verify?'))!;
    await verifyWithLink(browser, link, PASSWORD);
    assert.equal((await logIn(browser, 'unverified@example.com', PASSWORD)).status, 303);
  });

  test('an unverified login by username can resend the email too', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'byname@example.com', username: 'byname', password: PASSWORD });
    await app.mail.waitFor('byname@example.com');
    const login = await logIn(browser, 'ByName', PASSWORD);
    assert.equal(login.status, 401);
    assert.match(login.html, /name="email" value="ByName"/);
    await browser.post('/resend-verification', { email: 'ByName' });
    const mail = await app.mail.waitFor('byname@example.com');
    assert.match(mail.subject, /Confirm your email/);
  });

  test('a taken username is said beside its field; a taken email is not revealed', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'named@example.com', username: 'named', password: PASSWORD });
    await browser.open('/');
    const page = await browser.post('/signup', {
      email: 'fresh@example.com',
      username: 'NAMED',
      password: PASSWORD,
    });
    assert.equal(page.status, 422);
    assert.match(page.html, /That username is taken/);
    assert.match(page.html, /value="fresh@example.com"/);
  });

  test('a reload of a form answer (GET /login and friends) goes back to the forms', async () => {
    for (const path of [
      '/login',
      '/signup',
      '/logout-all',
      '/resend-verification',
      '/request-password-reset',
      '/verify/login',
    ]) {
      const page = await new FormClient(app.url).get(path);
      assert.equal(page.status, 303, path);
      assert.equal(page.location, '/');
    }
  });

  test('a wrong password and an unknown user get the same failure: the log-in form again, with 401', async () => {
    await signUpAndVerify(app, 'wrong@example.com');
    const browser = new FormClient(app.url);
    const wrong = await logIn(browser, 'wrong@example.com', 'not the password at all');
    const unknown = await logIn(browser, 'nobody@example.com', 'not the password at all');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    // Each page keeps what its person typed; apart from that they are the same, word for word.
    const strip = (html: string, typed: string) =>
      html
        .replace(/name="_csrf" value="[^"]+"/g, '')
        .replaceAll(encodeURIComponent(typed), 'TYPED')
        .replaceAll(typed, 'TYPED');
    assert.equal(strip(wrong.html, 'wrong@example.com'), strip(unknown.html, 'nobody@example.com'));
    assert.match(wrong.html, /The email, username or password is not right/);
  });

  test('a failed log-in keeps the person in the form: email and Remember me kept, the message in the card, a reset link carrying the email', async () => {
    await signUpAndVerify(app, 'keptform@example.com');
    const browser = new FormClient(app.url);
    await browser.get('/?next=/change-password');
    const page = await browser.post('/login', {
      email: 'keptform@example.com',
      password: 'not the password at all',
      remember: 'on',
      next: '/change-password',
    });
    assert.equal(page.status, 401);
    assert.match(page.html, /<title>Error: /);
    assert.match(page.html, /id="login-email"[^>]* value="keptform@example.com"/);
    assert.match(page.html, /id="login-remember"[^>]* checked/);
    assert.match(page.html, /name="next" value="\/change-password"/);
    assert.doesNotMatch(page.html, /not the password at all/);
    const card = page.html.slice(
      page.html.indexOf('id="login-heading"'),
      page.html.indexOf('id="signup-heading"'),
    );
    assert.match(card, /Login failed\..*The email, username or password is not right/);
    const forgot = /href="([^"]+)">Forgot password\?</.exec(card)?.[1]?.replaceAll('&#34;', '"');
    assert.equal(forgot, '/?forgot=keptform%40example.com#forgot-heading');
    const resetForm = await browser.get(forgot);
    assert.equal(resetForm.status, 200);
    assert.match(resetForm.html, /id="forgot-email"[^>]* value="keptform@example.com"/);
  });

  test('an unverified log-in keeps its own message and resend button inside the log-in card', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'cardresend@example.com', password: PASSWORD });
    await app.mail.waitFor('cardresend@example.com');
    const page = await logIn(browser, 'cardresend@example.com', PASSWORD);
    assert.equal(page.status, 401);
    const card = page.html.slice(
      page.html.indexOf('id="login-heading"'),
      page.html.indexOf('id="signup-heading"'),
    );
    assert.match(card, /not verified yet/);
    assert.match(card, /action="\/resend-verification"/);
    assert.match(card, /id="login-email"[^>]* value="cardresend@example.com"/);
  });

  test('forgot password → email → reset → old password refused, new accepted, link spent', async () => {
    const browser = await signUpAndVerify(app, 'forgot@example.com');
    await browser.open('/');
    const asked = await browser.post('/request-password-reset', { email: 'forgot@example.com' });
    assert.equal(asked.status, 200);
    assert.match(asked.html, /Check your email for further instructions/);
    const mail = await app.mail.waitFor('forgot@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/reset-password?access_token='))!;
    assert.ok(link.startsWith(`${app.appUrl}/reset-password`));
    const form = await browser.get(pathOf(link));
    assert.equal(form.status, 200);
    assert.equal(form.headers.get('referrer-policy'), 'no-referrer');
    const token = new URL(link).searchParams.get('access_token')!;

    const mismatch = await browser.post('/reset-password', {
      access_token: token,
      password: 'a brand new password',
      confirmation: 'something else entirely',
    });
    assert.equal(mismatch.status, 422);
    assert.match(mismatch.html, /do not match/);

    const done = await browser.post('/reset-password', {
      access_token: token,
      password: 'a brand new password',
      confirmation: 'a brand new password',
    });
    assert.equal(done.status, 200);
    assert.match(done.html, /Password reset success/);

    assert.equal((await logIn(new FormClient(app.url), 'forgot@example.com', PASSWORD)).status, 401);
    assert.equal(
      (await logIn(new FormClient(app.url), 'forgot@example.com', 'a brand new password')).status,
      303,
    );
    assert.equal((await browser.get(pathOf(link))).status, 401, 'the link works once');
  });

  test('an unknown email asking for a reset sees the same page and no mail is sent', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    const before = app.mail.mails.length;
    const asked = await browser.post('/request-password-reset', { email: 'ghost@example.com' });
    assert.equal(asked.status, 200);
    assert.match(asked.html, /Check your email for further instructions/);
    // The queue empty, not one store round trip: an email queued by the request is delivered
    // after the answer, so only then would its absence below mean it was never sent.
    await mailQueueEmpty(app.server.deps.store);
    assert.equal(app.mail.mails.filter((mail) => mail.to === 'ghost@example.com').length, 0);
    assert.ok(app.mail.mails.length >= before);
  });

  test('changing the password logs out every other session and keeps this one', async () => {
    const laptop = await signUpAndVerify(app, 'change@example.com');
    await logIn(laptop, 'change@example.com', PASSWORD);
    const phone = new FormClient(app.url);
    await logIn(phone, 'change@example.com', PASSWORD);
    assert.equal((await phone.get('/home')).status, 200);

    await laptop.get('/change-password');
    const cookieBefore = laptop.cookies.get('session');
    const changed = await laptop.post('/change-password', {
      oldPassword: PASSWORD,
      newPassword: 'an entirely new secret',
      confirmation: 'an entirely new secret',
    });
    assert.equal(changed.status, 200);
    assert.match(changed.html, /Password changed/);
    assert.notEqual(laptop.cookies.get('session'), cookieBefore, 'a fresh session after the change');
    assert.equal((await laptop.get('/home')).status, 200);
    assert.equal((await phone.get('/home')).status, 303, 'the other device is logged out');
  });

  test('a wrong current password is refused beside its field', async () => {
    const browser = await signUpAndVerify(app, 'oldwrong@example.com');
    await logIn(browser, 'oldwrong@example.com', PASSWORD);
    await browser.get('/change-password');
    const refused = await browser.post('/change-password', {
      oldPassword: 'not my password at all',
      newPassword: 'an entirely new secret',
      confirmation: 'an entirely new secret',
    });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /current password is not right/);
  });

  test('a form without a valid CSRF token is refused with 403', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    const missing = await browser.post('/login', { email: 'x@example.com', password: 'whatever', _csrf: '' });
    assert.equal(missing.status, 403);
    const forged = await browser.post('/signup', {
      email: 'x@example.com',
      password: PASSWORD,
      _csrf: 'forged-token',
    });
    assert.equal(forged.status, 403);
    const stranger = new FormClient(app.url);
    const noSession = await stranger.post('/request-password-reset', {
      email: 'x@example.com',
      _csrf: browser.lastCsrf,
    });
    assert.equal(noSession.status, 403, "another browser's token does not fit this session");
  });

  test('sign-up errors keep what was typed, never the password', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    const page = await browser.post('/signup', {
      email: 'short@example.com',
      username: 'shorty',
      password: 'short pw',
    });
    assert.equal(page.status, 422);
    assert.match(page.html, /value="short@example.com"/);
    assert.match(page.html, /value="shorty"/);
    assert.doesNotMatch(page.html, /short pw/);
    assert.match(page.html, /at least 12 characters/);
  });

  test('sign-up with a taken email looks the same and tells the owner', async () => {
    await signUpAndVerify(app, 'taken@example.com');
    const browser = new FormClient(app.url);
    await browser.open('/');
    const again = await browser.post('/signup', {
      email: 'Taken@Example.com',
      password: 'another long password',
    });
    assert.equal(again.status, 200);
    assert.match(again.html, /Signed up successfully/);
    const notice = await app.mail.waitFor('taken@example.com');
    assert.match(notice.subject, /tried to sign up/);
  });

  test('opening the verification link (GET and HEAD, twice) verifies nothing; the log-in form on it does', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'scanner@example.com', password: PASSWORD });
    const mail = await app.mail.waitFor('scanner@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/verify?'))!;
    // What a mail scanner does: open the link, with and without cookies, GET and HEAD.
    for (let round = 0; round < 2; round++) {
      const scanned = await fetch(link.replace(app.appUrl, app.url), { redirect: 'manual' });
      assert.equal(scanned.status, 200);
      assert.match(await scanned.text(), /scanner@example\.com/, 'the page names the account');
      const head = await fetch(link.replace(app.appUrl, app.url), { method: 'HEAD', redirect: 'manual' });
      assert.equal(head.status, 200);
      assert.equal((await browser.get(pathOf(link))).status, 200);
    }
    const still = await logIn(new FormClient(app.url), 'scanner@example.com', PASSWORD);
    assert.equal(still.status, 401, 'still unverified after every GET and HEAD');
    assert.match(still.html, /not verified/);

    const url = new URL(link);
    const fields = { uid: url.searchParams.get('uid') ?? '', token: url.searchParams.get('token') ?? '' };
    await browser.get(pathOf(link));
    const wrong = await browser.post('/verify/login', { ...fields, password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /The email, username or password is not right/);
    assert.match(wrong.html, /value="scanner@example.com"/);
    assert.doesNotMatch(wrong.html, /not the password at all/);
    assert.equal((await logIn(new FormClient(app.url), 'scanner@example.com', PASSWORD)).status, 401);

    const done = await browser.post('/verify/login', { ...fields, password: PASSWORD });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/verified');
    const home = await browser.get('/home');
    assert.equal(home.status, 200, 'the form logs in too');
    assert.match(home.html, /Verified/);
    assert.equal((await browser.get(pathOf(link))).status, 400, 'the link works once');
    assert.equal((await logIn(new FormClient(app.url), 'scanner@example.com', PASSWORD)).status, 303);
  });

  test('the verification page asks another account to log in as the link owner; the button needs that login', async () => {
    const owner = new FormClient(app.url);
    await owner.open('/');
    await owner.post('/signup', { email: 'linkowner@example.com', password: PASSWORD });
    const mail = await app.mail.waitFor('linkowner@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/verify?'))!;
    const url = new URL(link);
    const fields = { uid: url.searchParams.get('uid') ?? '', token: url.searchParams.get('token') ?? '' };

    const other = await signUpAndVerify(app, 'otherowner@example.com');
    await logIn(other, 'otherowner@example.com', PASSWORD);
    const page = await other.get(pathOf(link));
    assert.equal(page.status, 200);
    assert.match(
      page.html,
      /action="\/verify\/login"/,
      'another account gets the log-in form, not the button',
    );
    const pressed = await other.post('/verify', fields);
    assert.equal(pressed.status, 401, 'the button is only for the link owner');
    assert.equal((await logIn(new FormClient(app.url), 'linkowner@example.com', PASSWORD)).status, 401);
  });

  test('a taken username says so whatever the email (sign-up checks the username first)', async () => {
    await signUpAndVerify(app, 'holder@example.com');
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', {
      email: 'nameholder@example.com',
      username: 'holder',
      password: PASSWORD,
    });
    await app.mail.waitFor('nameholder@example.com');
    for (const email of ['holder@example.com', 'free-address@example.com']) {
      await browser.open('/');
      const page = await browser.post('/signup', { email, username: 'Holder', password: PASSWORD });
      assert.equal(page.status, 422, email);
      assert.match(page.html, /That username is taken/, email);
    }
  });

  test('the cancel link sent to the old address opens a page that changes nothing; its button cancels the change', async () => {
    await signUpAndVerify(app, 'moving@example.com');
    const login = await fetch(`${app.url}/api/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'moving@example.com', password: PASSWORD }),
    });
    const { id: token } = (await login.json()) as { id: string };
    const patched = await fetch(`${app.url}/api/users/me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ email: 'moved@example.com', currentPassword: PASSWORD }),
    });
    assert.equal(patched.status, 200);
    const confirm = (await app.mail.waitFor('moved@example.com')).links.find((link) =>
      link.includes('/verify?'),
    )!;
    const notice = await app.mail.waitFor('moving@example.com');
    const cancel = notice.links.find((link) => link.includes('/account/email/cancel?'))!;
    assert.ok(cancel, 'the old address gets a cancel link');

    const browser = new FormClient(app.url);
    for (let round = 0; round < 2; round++) {
      assert.equal((await browser.get(pathOf(cancel))).status, 200);
      const head = await fetch(`${app.url}${pathOf(cancel)}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
    }
    assert.equal(
      (await browser.get(pathOf(confirm))).status,
      200,
      'opening the cancel page cancelled nothing',
    );
    await browser.get(pathOf(cancel));
    const url = new URL(cancel);
    const cancelled = await browser.post('/account/email/cancel', {
      uid: url.searchParams.get('uid') ?? '',
      token: url.searchParams.get('token') ?? '',
    });
    assert.equal(cancelled.status, 200);
    assert.match(cancelled.html, /Email change cancelled/);
    assert.equal(
      (await browser.get(pathOf(confirm))).status,
      400,
      'the new address can no longer be confirmed',
    );
    const again = await browser.post('/account/email/cancel', {
      uid: url.searchParams.get('uid') ?? '',
      token: url.searchParams.get('token') ?? '',
    });
    assert.equal(again.status, 400, 'the cancel link works once');
  });

  test('a bad verification link gets a clear 400 page', async () => {
    const browser = new FormClient(app.url);
    const page = await browser.get('/verify?uid=nobody&token=nothing');
    assert.equal(page.status, 400);
    assert.match(page.html, /invalid or has expired/);
  });

  test('login honours a safe next path and ignores an unsafe one', async () => {
    const browser = await signUpAndVerify(app, 'next@example.com');
    await browser.open('/?next=/change-password');
    const safe = await browser.post('/login', {
      email: 'next@example.com',
      password: PASSWORD,
      next: '/change-password',
    });
    assert.equal(safe.location, '/change-password');
    const other = new FormClient(app.url);
    await other.open('/');
    const unsafe = await other.post('/login', {
      email: 'next@example.com',
      password: PASSWORD,
      next: '//evil.example',
    });
    assert.equal(unsafe.location, '/home');
  });

  test('log out everywhere ends every session of the user', async () => {
    const one = await signUpAndVerify(app, 'everywhere@example.com');
    await logIn(one, 'everywhere@example.com', PASSWORD);
    const two = new FormClient(app.url);
    await logIn(two, 'everywhere@example.com', PASSWORD);
    await one.get('/home');
    const out = await one.post('/logout-all', {});
    assert.equal(out.status, 303);
    assert.equal((await two.get('/home')).status, 303);
    assert.equal((await one.get('/home')).status, 303);
  });

  test('/healthz answers ok (the database too) and unknown pages are a 404 page', async () => {
    const health = await fetch(`${app.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('cache-control'), 'no-store');
    assert.equal(health.headers.get('set-cookie'), null, 'a probe gets no session');
    assert.deepEqual(await health.json(), { status: 'ok', database: 'ok' });
    const head = await fetch(`${app.url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const posted = await fetch(`${app.url}/healthz`, { method: 'POST' });
    assert.equal(posted.status, 405);
    assert.match(posted.headers.get('allow') ?? '', /GET/);
    assert.equal(((await posted.json()) as { error: { statusCode: number } }).error.statusCode, 405);
    const missing = await fetch(`${app.url}/no-such-page`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Page not found/);
  });
});

describe('pages: verification when login does not require it', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { EMAIL_VERIFICATION_REQUIRED: 'false' } });
  });
  after(async () => {
    await app.close();
  });

  test('a browser logged in as the account confirms with a button (POST with CSRF)', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'button@example.com', password: PASSWORD });
    const mail = await app.mail.waitFor('button@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/verify?'))!;
    assert.equal((await logIn(browser, 'button@example.com', PASSWORD)).status, 303);
    const page = await browser.get(pathOf(link));
    assert.equal(page.status, 200);
    assert.match(page.html, /Confirm my email/);
    assert.match((await browser.get('/home')).html, /Not verified/, 'opening the page changed nothing');
    const url = new URL(link);
    const fields = { uid: url.searchParams.get('uid') ?? '', token: url.searchParams.get('token') ?? '' };
    assert.equal((await browser.post('/verify', { ...fields, _csrf: 'forged' })).status, 403);
    const confirmed = await browser.post('/verify', fields);
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.location, '/verified');
    assert.match((await browser.get('/home')).html, />Verified</);
  });
});

describe('pages: throttled log-ins', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { RATE_LIMITS: 'on' } });
  });
  after(async () => {
    await app.close();
  });

  test('a locked-out owner who resets the password through the emailed link logs in at once', async () => {
    const owner = await signUpAndVerify(app, 'lockedout@example.com');
    await owner.post('/logout', {});
    const guesser = new FormClient(app.url);
    let refused = null;
    for (let attempt = 0; attempt < 30 && !refused; attempt++) {
      const page = await logIn(guesser, 'lockedout@example.com', `wrong guess number ${attempt}`);
      if (page.status === 429) refused = page;
      else assert.equal(page.status, 401);
    }
    assert.ok(refused, 'the guesses were refused before 30');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(refused.html, /You can try again in/);
    assert.match(refused.html, /href="\/\?forgot=#forgot-heading">Reset your password/);

    await guesser.open('/');
    await guesser.post('/request-password-reset', { email: 'lockedout@example.com' });
    const mail = await app.mail.waitFor('lockedout@example.com');
    const link = mail.links.find((candidate) => candidate.includes('/reset-password?'))!;
    await guesser.get(pathOf(link));
    const token = new URL(link).searchParams.get('access_token')!;
    const reset = await guesser.post('/reset-password', {
      access_token: token,
      password: 'a fresh start password',
      confirmation: 'a fresh start password',
    });
    assert.equal(reset.status, 200);
    assert.equal((await logIn(guesser, 'lockedout@example.com', 'a fresh start password')).status, 303);
  });
});
