import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthError } from '../../server/auth/errors.js';
import type { PasswordHasher } from '../../server/auth/password-hasher.js';
import { logIn } from '../../server/auth/sessions.js';
import { signUp } from '../../server/auth/sign-up.js';
import { NO_PASSWORD } from '../../server/store/store.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { closeHasher, createDomain, type DomainHarness } from '../helpers/domain.js';
import { mailQueueEmpty } from '../helpers/until.js';
import { api, freshBrowser, logInWith, PASSWORD, seedUser, withoutCsrf } from './support.js';

/** What an attacker compares: the status and the page (CSRF tokens differ per page by design). */
const visible = (page: { status: number; html: string }) => ({
  status: page.status,
  html: withoutCsrf(page.html),
});

describe('no account enumeration', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
    await seedUser(app, 'known@example.com', { username: 'known' });
    await seedUser(app, 'pending@example.com', { verified: false });
  });
  after(async () => {
    await app.close();
  });

  test('HTML login: an unknown email or username gets exactly the page a wrong password gets', async () => {
    // The form keeps what the person typed (issue 13.1): the comparison is of everything else.
    const visible = (page: { status: number; html: string }, typed: string) => ({
      status: page.status,
      html: withoutCsrf(page.html).replaceAll(typed, 'TYPED').replaceAll(encodeURIComponent(typed), 'TYPED'),
    });
    const browser = await freshBrowser(app);
    const wrongEmail = await logInWith(browser, 'known@example.com', 'not the password!');
    const unknownEmail = await logInWith(browser, 'nobody@example.com', 'not the password!');
    const wrongName = await logInWith(browser, 'known', 'not the password!');
    const unknownName = await logInWith(browser, 'nobody', 'not the password!');
    const wrongUnverified = await logInWith(browser, 'pending@example.com', 'not the password!');
    assert.equal(wrongEmail.status, 401);
    // An email and a username are compared with their own kind (the "Forgot password?" link carries
    // a typed email only): what differs is what was typed, never whether an account exists.
    for (const [page, typed] of [
      [unknownEmail, 'nobody@example.com'],
      [wrongUnverified, 'pending@example.com'],
    ] as const) {
      assert.deepEqual(visible(page, typed), visible(wrongEmail, 'known@example.com'), typed);
    }
    assert.equal(wrongName.status, 401);
    assert.deepEqual(visible(unknownName, 'nobody'), visible(wrongName, 'known'));
  });

  test('API login: an unknown user gets the same 401 LOGIN_FAILED body as a wrong password', async () => {
    const wrong = await api(app, 'POST', '/api/users/login', {
      email: 'known@example.com',
      password: 'nope',
    });
    const unknown = await api(app, 'POST', '/api/users/login', {
      email: 'ghost@example.com',
      password: 'nope',
    });
    const unknownName = await api(app, 'POST', '/api/users/login', { username: 'ghost', password: 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.json as { error: { code: string } }).error.code, 'LOGIN_FAILED');
    for (const answer of [unknown, unknownName]) {
      assert.equal(answer.status, wrong.status);
      assert.equal(answer.text, wrong.text);
    }
  });

  test('reset request: the same page for a known and an unknown email; only the known one gets mail', async () => {
    const browser = await freshBrowser(app);
    const known = await browser.post('/request-password-reset', { email: 'known@example.com' });
    const unknown = await browser.post('/request-password-reset', { email: 'unknown@example.com' });
    assert.equal(known.status, 200);
    assert.deepEqual(visible(unknown), visible(known));
    const mail = await app.mail.waitFor('known@example.com');
    assert.match(mail.text, /reset-password\?access_token=/);
    // Only once the queue is empty has every email queued been handed to the mail server: an
    // email to the unknown address, sent beside or after the known one's, would be here by then.
    await mailQueueEmpty(app.store);
    assert.ok(!app.mail.mails.some((caught) => caught.to === 'unknown@example.com'));
  });

  test('reset request while the mail server refuses everything: the same page, the mail follows later', async () => {
    app.mail.refuse = true;
    try {
      const browser = await freshBrowser(app);
      const known = await browser.post('/request-password-reset', { email: 'KNOWN@example.com' });
      const unknown = await browser.post('/request-password-reset', { email: 'unknown2@example.com' });
      assert.equal(known.status, 200);
      assert.deepEqual(visible(unknown), visible(known));
    } finally {
      app.mail.refuse = false;
    }
    // The answer never waited for SMTP: the queue delivers after the outage.
    const mail = await app.mail.waitFor('known@example.com', 30_000);
    assert.match(mail.text, /reset-password\?access_token=/);
  });

  test('API reset: 204 with an empty body whether or not the email is known', async () => {
    const known = await api(app, 'POST', '/api/users/reset', { email: 'known@example.com' });
    const unknown = await api(app, 'POST', '/api/users/reset', { email: 'nobody-api@example.com' });
    assert.equal(known.status, 204);
    assert.deepEqual([unknown.status, unknown.text], [known.status, known.text]);
    await app.mail.waitFor('known@example.com');
  });

  test('resend verification: the same page for unknown, verified and unverified addresses', async () => {
    const browser = await freshBrowser(app);
    const pending = await browser.post('/resend-verification', { email: 'pending@example.com' });
    const verified = await browser.post('/resend-verification', { email: 'known@example.com' });
    const unknown = await browser.post('/resend-verification', { email: 'nobody@example.com' });
    assert.equal(pending.status, 200);
    assert.deepEqual(visible(verified), visible(pending));
    assert.deepEqual(visible(unknown), visible(pending));
    const mail = await app.mail.waitFor('pending@example.com');
    assert.match(mail.text, /\/verify\?uid=/);
  });

  test('HTML sign-up with a taken email: the same page as a new account; the owner is told', async () => {
    const browser = await freshBrowser(app);
    const fresh = await browser.post('/signup', { email: 'newcomer@example.com', password: PASSWORD });
    const takenEmail = await browser.post('/signup', { email: 'Known@Example.com', password: PASSWORD });
    // A taken username is checked before the email (issue 10.3): with a taken email or a new one,
    // the page is the same "username taken", so it never depends on whether the email has an account.
    const takenBoth = await browser.post('/signup', {
      email: 'known@example.com',
      username: 'KNOWN',
      password: PASSWORD,
    });
    const takenNameOnly = await browser.post('/signup', {
      email: 'someone-new@example.com',
      username: 'KNOWN',
      password: PASSWORD,
    });
    assert.equal(fresh.status, 200);
    assert.match(fresh.html, /Signed up successfully/);
    assert.deepEqual(visible(takenEmail), visible(fresh));
    assert.equal(takenBoth.status, 422);
    assert.deepEqual(
      withoutCsrf(takenBoth.html).replace('known@example.com', 'EMAIL'),
      withoutCsrf(takenNameOnly.html).replace('someone-new@example.com', 'EMAIL'),
    );
    await app.mail.waitFor('newcomer@example.com');
    const warnings = [await app.mail.waitFor('known@example.com')];
    for (const warning of warnings) {
      assert.match(warning.subject, /sign up/i);
      assert.ok(warning.links.every((link) => link.startsWith(app.appUrl)));
    }
  });

  test('a taken username with a new email is said plainly: usernames are public names, and a silent refusal would leave the newcomer waiting for an email that never comes', async () => {
    const browser = await freshBrowser(app);
    const takenName = await browser.post('/signup', {
      email: 'another@example.com',
      username: 'KNOWN',
      password: PASSWORD,
    });
    assert.equal(takenName.status, 422);
    assert.match(takenName.html, /That username is taken/);
    assert.equal(await app.store.findUserByEmailKey('another@example.com'), null);
  });

  test('API sign-up keeps LoopBack 422 for a taken email (documented in SECURITY.md)', async () => {
    const taken = await api(app, 'POST', '/api/users', { email: 'known@example.com', password: PASSWORD });
    assert.equal(taken.status, 422);
  });
});

describe('no enumeration by time: the unknown-user path does the same bcrypt work', () => {
  let domain: DomainHarness;
  const calls: { op: 'hash' | 'compare'; hash?: string }[] = [];
  before(async () => {
    domain = await createDomain();
  });
  after(async () => {
    await domain.close();
    await closeHasher();
  });

  /** The real worker pool, wrapped to count what it is asked to do. */
  const counting = (inner: PasswordHasher): PasswordHasher => ({
    hash(password, rounds) {
      calls.push({ op: 'hash' });
      return inner.hash(password, rounds);
    },
    compare(password, hash) {
      calls.push({ op: 'compare', hash });
      return inner.compare(password, hash);
    },
    close: () => inner.close(),
  });

  test('login: one bcrypt compare for a wrong password and one for an unknown user, at the same cost', async () => {
    const deps = { ...domain.deps, hasher: counting(domain.deps.hasher) };
    await signUp(deps, { email: 'timed@example.com', password: PASSWORD }, 'reject');
    calls.length = 0;
    const failure = (error: unknown) => error instanceof AuthError && error.code === 'LOGIN_FAILED';
    await assert.rejects(logIn(deps, { email: 'timed@example.com', password: 'wrong password' }), failure);
    const real = calls.splice(0);
    await assert.rejects(logIn(deps, { email: 'untimed@example.com', password: 'wrong password' }), failure);
    const dummy = calls.splice(0);
    assert.deepEqual(
      real.map((call) => call.op),
      ['compare'],
    );
    assert.deepEqual(
      dummy.map((call) => call.op),
      ['compare'],
    );
    // The dummy is a well-formed bcrypt hash at the configured cost, so the compare does the full work.
    const cost = (hash = '') => /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash)?.[1];
    assert.equal(cost(dummy[0]?.hash), cost(real[0]?.hash));
    assert.equal(cost(dummy[0]?.hash), '04');
  });

  test('login: an account without a password (provider sign-in only) costs the same full compare as an unknown user', async () => {
    const deps = { ...domain.deps, hasher: counting(domain.deps.hasher) };
    await deps.store.createUser({
      email: 'provider-only@example.com',
      emailKey: 'provider-only@example.com',
      username: null,
      usernameKey: null,
      passwordHash: NO_PASSWORD,
      emailVerified: true,
      created: new Date().toISOString(),
    });
    calls.length = 0;
    const failure = (error: unknown) => error instanceof AuthError && error.code === 'LOGIN_FAILED';
    await assert.rejects(
      logIn(deps, { email: 'provider-only@example.com', password: 'any password' }),
      failure,
    );
    const made = calls.splice(0);
    assert.deepEqual(
      made.map((call) => call.op),
      ['compare'],
    );
    // Against the dummy at the configured cost, never against the empty placeholder (no work at all).
    assert.match(made[0]?.hash ?? '', /^\$2[aby]\$04\$[./A-Za-z0-9]{53}$/);
  });

  test('HTML sign-up: a taken email costs the same bcrypt hash as a new account', async () => {
    const deps = { ...domain.deps, hasher: counting(domain.deps.hasher) };
    calls.length = 0;
    await signUp(deps, { email: 'first@example.com', password: PASSWORD }, 'notify-owner');
    const fresh = calls.splice(0).map((call) => call.op);
    const again = await signUp(deps, { email: 'FIRST@example.com', password: PASSWORD }, 'notify-owner');
    const taken = calls.splice(0).map((call) => call.op);
    assert.equal(again, null);
    assert.deepEqual(fresh, ['hash']);
    assert.deepEqual(taken, fresh);
  });
});
