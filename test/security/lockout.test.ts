import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RATE_LIMIT_RULES } from '../../server/middleware/rate-limit.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { mailQueueEmpty } from '../helpers/until.js';
import { api, errorOf, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

// Issue 10.5: nobody can lock another person out. RATE_LIMITS=on, TRUST_PROXY=true so each test
// speaks from the addresses it names.
let app: TestApp;
before(async () => {
  app = await startApp({ env: { RATE_LIMITS: 'on', TRUST_PROXY: 'true' } });
});
after(async () => {
  await app.close();
});

let next = 1;
const address = () => ({ 'x-forwarded-for': `198.18.${Math.floor(next / 250)}.${(next++ % 250) + 1}` });

describe('the owner is never locked out by others', () => {
  test("200 wrong passwords from 10 addresses: untrusted clients hit the ceiling; the owner's browser still logs in", async () => {
    await seedUser(app, 'owner@example.com');
    const owner = await freshBrowser(app);
    const home = address();
    assert.equal((await logInWith(owner, 'owner@example.com', PASSWORD, home)).status, 303);
    assert.ok([...owner.cookies.keys()].includes('device'), 'a signed device cookie after a login');
    assert.ok([...owner.cookies.keys()].includes('device.sig'), 'signed as Koa signs cookies');
    await owner.post('/logout', {}, home);

    const attackers = Array.from({ length: 10 }, address);
    const statuses: number[] = [];
    const attacker = await freshBrowser(app);
    for (let round = 0; round < 20; round++) {
      for (const from of attackers) {
        statuses.push((await logInWith(attacker, 'owner@example.com', `guess ${round}!`, from)).status);
      }
    }
    const guessed = statuses.filter((status) => status === 401).length;
    assert.equal(statuses.length, 200);
    assert.ok(guessed <= 100, `ASVS 2.2.1: at most 100 failures an hour (${guessed})`);
    assert.equal(guessed, RATE_LIMIT_RULES.loginPerAccount.points);
    assert.equal(statuses.filter((status) => status === 429).length, 200 - guessed);
    // A new client elsewhere is refused even with the right password: the ceiling holds …
    const stranger = await freshBrowser(app);
    assert.equal((await logInWith(stranger, 'owner@example.com', PASSWORD, address())).status, 429);
    // … and the owner's browser, counted on its device cookie alone, gets in.
    await owner.open('/', home);
    assert.equal((await logInWith(owner, 'owner@example.com', PASSWORD, home)).status, 303);
  });

  test('the 429 says when to try again and offers the reset, page and JSON', async () => {
    await seedUser(app, 'told@example.com');
    const browser = await freshBrowser(app);
    let page = await logInWith(browser, 'told@example.com', 'wrong!', address());
    while (page.status === 401) page = await logInWith(browser, 'told@example.com', 'wrong!', address());
    assert.equal(page.status, 429);
    assert.ok(Number(page.headers.get('retry-after')) >= 1);
    assert.match(page.html, /try again in/i);
    assert.match(page.html, /reset your password/i);
    const json = await api(
      app,
      'POST',
      '/api/users/login',
      { email: 'told@example.com', password: 'x' },
      address(),
    );
    assert.equal(json.status, 429);
    const error = errorOf(json) as { retryAfter?: number; message?: string };
    assert.equal(error.retryAfter, Number(json.headers.get('retry-after')));
    assert.match(error.message ?? '', /reset your password/);
  });

  test('a successful reset lets the owner in at once, from any browser', async () => {
    await seedUser(app, 'reset-owner@example.com', { username: 'resetowner' });
    const browser = await freshBrowser(app);
    for (const identifier of ['reset-owner@example.com', 'resetowner']) {
      let status = 401;
      while (status === 401) status = (await logInWith(browser, identifier, 'wrong!', address())).status;
      assert.equal(status, 429);
    }
    assert.equal(
      (await api(app, 'POST', '/api/users/reset', { email: 'reset-owner@example.com' }, address())).status,
      204,
    );
    const mail = await app.mail.waitFor('reset-owner@example.com');
    const link = new URL(mail.links.find((candidate) => candidate.includes('/reset-password')) ?? '');
    const token = link.searchParams.get('access_token') ?? '';
    const newPassword = 'a brand new passphrase';
    const reset = await api(
      app,
      'POST',
      '/api/users/reset-password',
      { newPassword },
      {
        ...address(),
        authorization: token,
      },
    );
    assert.equal(reset.status, 204, reset.text);
    for (const identifier of ['reset-owner@example.com', 'resetowner']) {
      const login = await api(
        app,
        'POST',
        '/api/users/login',
        { [identifier.includes('@') ? 'email' : 'username']: identifier, password: newPassword },
        address(),
      );
      assert.equal(login.status, 200, `${identifier}: ${login.text}`);
    }
  });

  test('someone else asking for resets spends the email budget for minutes, not an hour', () => {
    assert.ok(RATE_LIMIT_RULES.resetPerEmail.windowSeconds <= 15 * 60);
    assert.ok(RATE_LIMIT_RULES.resetPerEmail.blockSeconds <= 15 * 60);
  });

  test('only attempts that do work count: 30 refused sign-up forms from one address cost nothing', async () => {
    const from = address();
    for (let attempt = 0; attempt < 30; attempt++) {
      const weak = await api(
        app,
        'POST',
        '/api/users',
        { email: 'mistyper@example.com', password: 'short' },
        from,
      );
      assert.equal(weak.status, 422);
    }
    const ok = await api(
      app,
      'POST',
      '/api/users',
      { email: 'mistyper@example.com', password: PASSWORD },
      from,
    );
    assert.equal(ok.status, 200, ok.text);
  });

  test('X-Forwarded-For with a port: every port is the same address (issue 10.7)', async () => {
    const browser = await freshBrowser(app);
    const limit = RATE_LIMIT_RULES.loginPerAddress.points;
    for (let attempt = 1; attempt <= limit; attempt++) {
      const from = { 'x-forwarded-for': `203.0.113.99:${40_000 + attempt}` };
      assert.equal((await logInWith(browser, `port${attempt}@example.com`, 'wrong!', from)).status, 401);
    }
    const refused = await logInWith(browser, 'port-last@example.com', 'wrong!', {
      'x-forwarded-for': '203.0.113.99:1',
    });
    assert.equal(refused.status, 429);
  });
});

describe('every route that sends mail is throttled (issue 10.2)', () => {
  test('100 email changes to one target: at most the budget of emails reach it', async () => {
    await seedUser(app, 'sender@example.com');
    const login = await api(
      app,
      'POST',
      '/api/users/login',
      { email: 'sender@example.com', password: PASSWORD },
      address(),
    );
    const token = (login.json as { id: string }).id;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await api(
        app,
        'PATCH',
        '/api/users/me',
        { email: 'target@example.com', currentPassword: PASSWORD },
        { ...address(), authorization: token },
      );
      statuses.push(answer.status);
    }
    const budget = Math.min(
      RATE_LIMIT_RULES.emailChangePerEmail.points,
      RATE_LIMIT_RULES.emailChangePerAccount.points,
    );
    assert.equal(statuses.filter((status) => status === 200).length, budget);
    assert.equal(statuses.filter((status) => status === 429).length, 100 - budget);
    await mailQueueEmpty(app.store);
    const toTarget = app.mail.mails.filter((mail) => mail.to === 'target@example.com');
    assert.ok(toTarget.length <= budget, `${toTarget.length} emails reached the target`);
    assert.ok(toTarget.length >= 1);
  });

  test('the per-account budget holds across target addresses', async () => {
    await seedUser(app, 'spreader@example.com');
    const login = await api(
      app,
      'POST',
      '/api/users/login',
      { email: 'spreader@example.com', password: PASSWORD },
      address(),
    );
    const token = (login.json as { id: string }).id;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await api(
        app,
        'PATCH',
        '/api/users/me',
        { email: `t${attempt}@example.com` },
        {
          ...address(),
          authorization: token,
        },
      );
      statuses.push(answer.status);
    }
    assert.equal(
      statuses.filter((status) => status === 200).length,
      RATE_LIMIT_RULES.emailChangePerAccount.points,
    );
  });
});
