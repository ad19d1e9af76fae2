import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { pino } from 'pino';
import { loadConfig } from '../../server/config.js';
import { catchErrors, legacyTranslate, renderJsonError } from '../../server/middleware/errors.js';
import {
  addressKey,
  createLimiter,
  createMemoryRateLimitBackend,
  RATE_LIMIT_RULES,
  type RateLimitBackend,
} from '../../server/middleware/rate-limit.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient } from '../helpers/browser.js';
import { api, errorOf, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

// The suites below use their own apps, addresses and accounts, so they all run side by side.
// The budget untrusted clients of one identifier share (issue 10.5: per identifier as typed, so
// a username's and its email's budgets together stay within ASVS 2.2.1's 100 an hour).
const ACCOUNT_LIMIT = RATE_LIMIT_RULES.loginPerAccount.points;
// One (identifier, address) pair's budget, and a browser's own once it has logged in (device cookie).
const PAIR_LIMIT = RATE_LIMIT_RULES.loginPerAccountAddress.points;
const DEVICE_LIMIT = RATE_LIMIT_RULES.loginPerDevice.points;
const ADDRESS_LIMIT = RATE_LIMIT_RULES.loginPerAddress.points;

/** Each test speaks from its own client address, so the per-address budgets never mix. */
let nextAddress = 1;
const newAddress = () => ({ 'x-forwarded-for': `203.0.113.${nextAddress++}` });

function assertRetryAfter(headers: Headers, atMost: number) {
  const value = Number(headers.get('retry-after'));
  assert.ok(Number.isInteger(value) && value >= 1 && value <= atMost, `Retry-After is ${value}`);
}

describe('throttling', { concurrency: true }, () => {
  describe('throttling (RATE_LIMITS=on, TRUST_PROXY=true)', { concurrency: true }, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ env: { RATE_LIMITS: 'on', TRUST_PROXY: 'true' } });
    });
    after(async () => {
      await app.close();
    });

    test('failed logins on one account from many addresses: 401 until the limit, then 429 + Retry-After, even for the right password', async () => {
      await seedUser(app, 'target@example.com');
      const browser = await freshBrowser(app);
      for (let attempt = 1; attempt <= ACCOUNT_LIMIT; attempt++) {
        const page = await logInWith(browser, 'target@example.com', `guess number ${attempt}!`, newAddress());
        assert.equal(page.status, 401, `attempt ${attempt}`);
      }
      const refused = await logInWith(browser, 'target@example.com', 'one more guess!!', newAddress());
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers, RATE_LIMIT_RULES.loginPerAccount.blockSeconds);
      assert.match(refused.html, /Too many attempts/);
      assert.match(refused.html, /try again in about 15 minutes/);
      // The lock holds: the right password is not even checked, so a guesser learns nothing.
      const right = await logInWith(browser, 'target@example.com', PASSWORD, newAddress());
      assert.equal(right.status, 429);
    });

    test('the account is counted case-blind: changing case or spaces gains nothing', async () => {
      await seedUser(app, 'case@example.com', { username: 'Casey' });
      const browser = await freshBrowser(app);
      const spellings = ['CaSe@Example.com', ' CASE@EXAMPLE.COM ', 'case@example.com'];
      for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) {
        const page = await logInWith(browser, spellings[attempt % spellings.length]!, 'wrong!', newAddress());
        assert.equal(page.status, 401);
      }
      assert.equal((await logInWith(browser, 'CASE@EXAMPLE.com', 'wrong!', newAddress())).status, 429);
    });

    test("a username has its own budget: a 429 on an email never tells which username is that email's (issue 10.5)", async () => {
      await seedUser(app, 'whose@example.com', { username: 'Whose' });
      const browser = await freshBrowser(app);
      for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) {
        assert.equal((await logInWith(browser, 'whose@example.com', 'wrong!', newAddress())).status, 401);
      }
      assert.equal((await logInWith(browser, 'whose@example.com', 'wrong!', newAddress())).status, 429);
      // The username answers exactly like any other name: nothing links it to the locked email.
      assert.equal((await logInWith(browser, 'whose', 'wrong!', newAddress())).status, 401);
      assert.equal((await logInWith(browser, 'someone-else', 'wrong!', newAddress())).status, 401);
      for (let attempt = 1; attempt < ACCOUNT_LIMIT; attempt++) {
        assert.equal((await logInWith(browser, 'WHOSE', 'wrong!', newAddress())).status, 401);
      }
      assert.equal((await logInWith(browser, 'whose', 'wrong!', newAddress())).status, 429);
    });

    test('a successful login clears the account count', async () => {
      await seedUser(app, 'clears@example.com');
      const browser = await freshBrowser(app);
      const address = newAddress();
      for (let attempt = 0; attempt < ACCOUNT_LIMIT - 4; attempt++) {
        assert.equal(
          (await logInWith(browser, 'clears@example.com', 'wrong password!', address)).status,
          401,
        );
      }
      const success = await logInWith(browser, 'clears@example.com', PASSWORD, address);
      assert.equal(success.status, 303);
      // Without the reset, the 5th failure below would be the 11th and be refused.
      const again = await freshBrowser(app);
      for (let attempt = 0; attempt < 5; attempt++) {
        assert.equal((await logInWith(again, 'clears@example.com', 'wrong password!', address)).status, 401);
      }
    });

    test('failed logins from one address over many accounts (credential stuffing): 429 at the address limit', async () => {
      const browser = await freshBrowser(app);
      const proxy = '198.51.100.77';
      for (let attempt = 1; attempt <= ADDRESS_LIMIT; attempt++) {
        // The client writes its own X-Forwarded-For; the proxy appends the real address. Only that counts.
        const spoofed = { 'x-forwarded-for': `10.0.${attempt}.1, ${proxy}` };
        const page = await logInWith(browser, `stuffed${attempt}@example.com`, 'leaked password1', spoofed);
        assert.equal(page.status, 401, `attempt ${attempt}`);
      }
      const refused = await logInWith(browser, 'fresh-account@example.com', 'leaked password1', {
        'x-forwarded-for': `10.9.9.9, ${proxy}`,
      });
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers, RATE_LIMIT_RULES.loginPerAddress.blockSeconds);
      // Another address is not affected.
      await seedUser(app, 'bystander@example.com');
      const other = await logInWith(browser, 'bystander@example.com', PASSWORD, newAddress());
      assert.equal(other.status, 303);
    });

    test('route spellings that reach the login route are counted; the others are 404', async () => {
      const browser = await freshBrowser(app);
      const variants = ['/login', '/LOGIN', '/login/', '/Login', '/LoGiN/'];
      const statuses: number[] = [];
      for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) {
        const page = await browser.post(
          variants[attempt % variants.length]!,
          { email: 'spelling@example.com', password: 'wrong!' },
          newAddress(),
        );
        statuses.push(page.status);
      }
      assert.deepEqual(new Set(statuses), new Set([401]));
      const refused = await browser.post(
        '/LOGIN/',
        { email: 'spelling@example.com', password: 'wrong!' },
        newAddress(),
      );
      assert.equal(refused.status, 429);
      for (const path of ['/%6Cogin', '/login;x', '/login%2F', '/login%00', '/login.']) {
        const page = await browser.post(path, { email: 'spelling@example.com', password: 'x' }, newAddress());
        assert.equal(page.status, 404, path);
      }
    });

    test('a form refused for a bad CSRF token or a missing field does not spend the account budget', async () => {
      await seedUser(app, 'careful@example.com');
      const browser = await freshBrowser(app);
      const address = newAddress();
      for (let attempt = 0; attempt < ACCOUNT_LIMIT + 2; attempt++) {
        const forged = await browser.post(
          '/login',
          { _csrf: 'forged', email: 'careful@example.com', password: 'x' },
          address,
        );
        assert.equal(forged.status, 403);
        const empty = await browser.post('/login', { email: 'careful@example.com', password: '' }, address);
        assert.equal(empty.status, 400);
      }
      assert.equal((await logInWith(browser, 'careful@example.com', PASSWORD, address)).status, 303);
    });

    test('sign-up: at most 3 per target email per hour (mailbox flooding), counted whether or not the email is taken', async () => {
      const browser = await freshBrowser(app);
      for (let attempt = 1; attempt <= RATE_LIMIT_RULES.signupPerEmail.points; attempt++) {
        const page = await browser.post(
          '/signup',
          { email: 'flood@example.com', password: PASSWORD },
          newAddress(),
        );
        assert.equal(page.status, 200, `attempt ${attempt}`);
      }
      const refused = await browser.post(
        '/signup',
        { email: 'FLOOD@example.com', password: PASSWORD },
        newAddress(),
      );
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers, 3600);
    });

    test('sign-up: a rejected form (weak password) does not spend the email budget', async () => {
      const browser = await freshBrowser(app);
      for (let attempt = 0; attempt < 5; attempt++) {
        const page = await browser.post(
          '/signup',
          { email: 'typo@example.com', password: 'short' },
          newAddress(),
        );
        assert.equal(page.status, 422);
      }
      const ok = await browser.post(
        '/signup',
        { email: 'typo@example.com', password: PASSWORD },
        newAddress(),
      );
      assert.equal(ok.status, 200);
    });

    test('sign-up: at most 20 per address per hour', async () => {
      const browser = await freshBrowser(app);
      const address = newAddress();
      for (let attempt = 1; attempt <= RATE_LIMIT_RULES.signupPerAddress.points; attempt++) {
        const page = await browser.post(
          '/signup',
          { email: `bulk${attempt}@example.com`, password: PASSWORD },
          address,
        );
        assert.equal(page.status, 200, `attempt ${attempt}`);
      }
      const refused = await browser.post(
        '/signup',
        { email: 'bulk-last@example.com', password: PASSWORD },
        address,
      );
      assert.equal(refused.status, 429);
      assert.match(refused.html, /Too many attempts/);
    });

    test('reset requests: 3 per email whether the account exists or not (the 429 reveals nothing)', async () => {
      await seedUser(app, 'known-reset@example.com');
      const browser = await freshBrowser(app);
      for (const email of ['known-reset@example.com', 'unknown-reset@example.com']) {
        const statuses: number[] = [];
        for (let attempt = 0; attempt <= RATE_LIMIT_RULES.resetPerEmail.points; attempt++) {
          statuses.push((await browser.post('/request-password-reset', { email }, newAddress())).status);
        }
        assert.deepEqual(statuses, [200, 200, 200, 429], email);
      }
    });

    test('reset requests: at most 20 per address per hour', async () => {
      const browser = await freshBrowser(app);
      const address = newAddress();
      for (let attempt = 1; attempt <= RATE_LIMIT_RULES.resetPerAddress.points; attempt++) {
        const page = await browser.post(
          '/request-password-reset',
          { email: `r${attempt}@example.com` },
          address,
        );
        assert.equal(page.status, 200);
      }
      const refused = await browser.post('/request-password-reset', { email: 'rlast@example.com' }, address);
      assert.equal(refused.status, 429);
    });

    test('resend-verification: 3 per email and 20 per address', async () => {
      const browser = await freshBrowser(app);
      const statuses: number[] = [];
      for (let attempt = 0; attempt <= RATE_LIMIT_RULES.resendPerEmail.points; attempt++) {
        statuses.push(
          (await browser.post('/resend-verification', { email: 'resend@example.com' }, newAddress())).status,
        );
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const address = newAddress();
      for (let attempt = 1; attempt <= RATE_LIMIT_RULES.resendPerAddress.points; attempt++) {
        const page = await browser.post(
          '/resend-verification',
          { email: `v${attempt}@example.com` },
          address,
        );
        assert.equal(page.status, 200);
      }
      assert.equal(
        (await browser.post('/resend-verification', { email: 'vz@example.com' }, address)).status,
        429,
      );
    });

    test('change-password: wrong current passwords share the account budget', async () => {
      await seedUser(app, 'changer@example.com');
      const browser = await freshBrowser(app);
      const address = newAddress();
      assert.equal((await logInWith(browser, 'changer@example.com', PASSWORD, address)).status, 303);
      await browser.get('/change-password');
      // This browser logged in: its guesses count on its own device budget.
      for (let attempt = 1; attempt <= DEVICE_LIMIT; attempt++) {
        const page = await browser.post(
          '/change-password',
          {
            oldPassword: `guess ${attempt}`,
            newPassword: 'a new long password',
            confirmation: 'a new long password',
          },
          address,
        );
        assert.equal(page.status, 400, `attempt ${attempt}`);
      }
      const refused = await browser.post(
        '/change-password',
        { oldPassword: PASSWORD, newPassword: 'a new long password', confirmation: 'a new long password' },
        address,
      );
      assert.equal(refused.status, 429);
    });
  });

  describe('throttling the JSON API (RATE_LIMITS=on, TRUST_PROXY=true)', { concurrency: true }, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ env: { RATE_LIMITS: 'on', TRUST_PROXY: 'true' } });
    });
    after(async () => {
      await app.close();
    });

    test('POST /api/users/login: 401 LOGIN_FAILED until the limit, then 429 in the envelope with Retry-After', async () => {
      await seedUser(app, 'api-target@example.com', { username: 'apitarget' });
      for (let attempt = 1; attempt <= ACCOUNT_LIMIT; attempt++) {
        // Spellings of the account's email alternate; the case never matters.
        const body =
          attempt % 2
            ? { email: 'API-target@example.com', password: 'nope' }
            : { email: ' api-TARGET@example.com', password: 'nope' };
        // The router ignores case and a trailing slash; so does the limiter.
        const path = attempt % 3 ? '/api/users/login' : '/API/Users/Login/';
        const answer = await api(app, 'POST', path, body, newAddress());
        assert.equal(answer.status, 401, `attempt ${attempt}`);
      }
      const refused = await api(
        app,
        'POST',
        '/api/users/login',
        { email: 'api-target@example.com', password: PASSWORD },
        newAddress(),
      );
      assert.equal(refused.status, 429);
      assertRetryAfter(refused.headers, 900);
      assert.deepEqual(
        { statusCode: errorOf(refused).statusCode, code: errorOf(refused).code },
        { statusCode: 429, code: 'TOO_MANY_REQUESTS' },
      );
      // Pages and API share the budget: the HTML form is locked too.
      const browser = await freshBrowser(app);
      assert.equal((await logInWith(browser, 'api-target@example.com', PASSWORD, newAddress())).status, 429);
    });

    test('POST /api/users/login success resets the count', async () => {
      await seedUser(app, 'api-reset@example.com');
      const address = newAddress();
      for (let attempt = 0; attempt < ACCOUNT_LIMIT - 4; attempt++) {
        const answer = await api(
          app,
          'POST',
          '/api/users/login',
          { email: 'api-reset@example.com', password: 'x' },
          address,
        );
        assert.equal(answer.status, 401);
      }
      const ok = await api(
        app,
        'POST',
        '/api/users/login',
        { email: 'api-reset@example.com', password: PASSWORD },
        address,
      );
      assert.equal(ok.status, 200);
      for (let attempt = 0; attempt < 5; attempt++) {
        const answer = await api(
          app,
          'POST',
          '/api/users/login',
          { email: 'api-reset@example.com', password: 'x' },
          address,
        );
        assert.equal(answer.status, 401);
      }
    });

    test('POST /api/users/reset: 3 per email, known or not', async () => {
      await seedUser(app, 'api-known@example.com');
      for (const email of ['api-known@example.com', 'api-unknown@example.com']) {
        const statuses: number[] = [];
        for (let attempt = 0; attempt <= RATE_LIMIT_RULES.resetPerEmail.points; attempt++) {
          statuses.push((await api(app, 'POST', '/api/users/reset', { email }, newAddress())).status);
        }
        assert.deepEqual(statuses, [204, 204, 204, 429], email);
      }
    });

    test('POST /api/users: sign-ups limited per address', async () => {
      const address = newAddress();
      for (let attempt = 1; attempt <= RATE_LIMIT_RULES.signupPerAddress.points; attempt++) {
        const answer = await api(
          app,
          'POST',
          '/api/users',
          { email: `apibulk${attempt}@example.com`, password: PASSWORD },
          address,
        );
        assert.equal(answer.status, 200, `attempt ${attempt}`);
      }
      const refused = await api(
        app,
        'POST',
        '/api/users',
        { email: 'apibulk-last@example.com', password: PASSWORD },
        address,
      );
      assert.equal(refused.status, 429);
      assert.equal(errorOf(refused).code, 'TOO_MANY_REQUESTS');
    });
  });

  describe('X-Forwarded-For is not believed without TRUST_PROXY', () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ env: { RATE_LIMITS: 'on' } });
    });
    after(async () => {
      await app.close();
    });

    test('a client that invents a new X-Forwarded-For per request is still one address', async () => {
      const browser = await freshBrowser(app);
      for (let attempt = 1; attempt <= ADDRESS_LIMIT; attempt++) {
        const page = await logInWith(browser, `spoof${attempt}@example.com`, 'wrong!', {
          'x-forwarded-for': `192.0.2.${attempt}`,
        });
        assert.equal(page.status, 401);
      }
      const refused = await logInWith(browser, 'spoof-last@example.com', 'wrong!', {
        'x-forwarded-for': '192.0.2.250',
      });
      assert.equal(refused.status, 429);
    });
  });

  describe('RATE_LIMITS=off', () => {
    test('turns throttling off (load tests)', async () => {
      const app = await startApp();
      try {
        const browser = new FormClient(app.url);
        await browser.get('/');
        for (let attempt = 0; attempt < ACCOUNT_LIMIT + 5; attempt++) {
          assert.equal((await logInWith(browser, 'loadtest@example.com', 'wrong!')).status, 401);
        }
      } finally {
        await app.close();
      }
    });

    test('is refused with NODE_ENV=production', () => {
      assert.throws(
        () =>
          loadConfig({
            NODE_ENV: 'production',
            RATE_LIMITS: 'off',
            SESSION_KEYS: 'a'.repeat(40),
            SMTP_URL: 'smtp://mail.example.com',
            APP_URL: 'https://app.example.com',
          }),
        /RATE_LIMITS: off is refused with NODE_ENV=production/,
      );
    });
  });

  describe('the limiter itself', () => {
    /** A real Koa app with only the error envelope and the limiter in front of a login that always fails. */
    async function tinyApp(backend?: RateLimitBackend) {
      const delays: number[] = [];
      const limiter = createLimiter({
        ...(backend ? { backend } : {}),
        sleep: async (ms: number) => {
          delays.push(ms);
        },
      });
      const app = new Koa();
      app.use(catchErrors(pino({ level: 'silent' }), legacyTranslate, renderJsonError));
      app.use(async (ctx) => {
        const attempt = await limiter.passwordAttempt(ctx, String(ctx.query.email ?? ''));
        // The route tells the limiter how it went: here, always a wrong password.
        await attempt.settle('failure');
        ctx.status = 401;
        ctx.body = 'login failed';
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const attempt = (email: string) =>
        fetch(`http://127.0.0.1:${port}/login?email=${encodeURIComponent(email)}`, { method: 'POST' }).then(
          (response) => response.status,
        );
      return { delays, attempt, close: () => new Promise((resolve) => server.close(resolve)) };
    }

    test('slows the last four attempts of a budget (200, 400, 600, 800 ms), then refuses', async () => {
      const tiny = await tinyApp();
      try {
        const statuses: number[] = [];
        // One address, one account: the (account, address) pair's budget is the first to run out.
        for (let attempt = 0; attempt <= PAIR_LIMIT; attempt++)
          statuses.push(await tiny.attempt('slow@x.org'));
        assert.deepEqual(statuses, [...Array<number>(PAIR_LIMIT).fill(401), 429]);
        assert.deepEqual(tiny.delays, [200, 400, 600, 800]);
      } finally {
        await tiny.close();
      }
    });

    test('parallel guesses cannot overrun the budget: attempts are counted before the password is checked', async () => {
      const tiny = await tinyApp();
      try {
        const statuses = await Promise.all(Array.from({ length: 30 }, () => tiny.attempt('burst@x.org')));
        assert.equal(statuses.filter((status) => status === 401).length, PAIR_LIMIT);
        assert.equal(statuses.filter((status) => status === 429).length, 30 - PAIR_LIMIT);
      } finally {
        await tiny.close();
      }
    });

    test('runs on any backend behind the AttemptCounter interface (the seam for Redis or PostgreSQL)', async () => {
      const names: string[] = [];
      const memory = createMemoryRateLimitBackend();
      const tiny = await tinyApp((name, rule) => {
        names.push(name);
        return memory(name, rule);
      });
      try {
        assert.equal(await tiny.attempt('seam@x.org'), 401);
        assert.ok(names.includes('loginPerAccount') && names.includes('loginPerAddress'));
      } finally {
        await tiny.close();
      }
    });

    test('addresses: IPv6 counted per /64, IPv4-mapped as IPv4', () => {
      assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), addressKey('2001:db8:1:2:ffff::1'));
      assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
      assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
      assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
      assert.equal(addressKey('::1'), '0:0:0:0::/64');
    });

    test('successful logins from one address are capped too, far above what a person needs (issue 10.7)', async () => {
      const limiter = createLimiter({ sleep: async () => {} });
      const app = new Koa();
      // A success trusts the browser with a signed device cookie: the app needs its keys.
      app.keys = ['a test key that signs cookies'];
      app.use(catchErrors(pino({ level: 'silent' }), legacyTranslate, renderJsonError));
      app.use(async (ctx) => {
        const attempt = await limiter.passwordAttempt(ctx, String(ctx.query.email ?? ''));
        await attempt.settle('success');
        ctx.status = 200;
        ctx.body = 'logged in';
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const cap = RATE_LIMIT_RULES.loginVolumePerAddress.points;
        assert.ok(cap >= 300, 'no real person reaches it');
        for (let attempt = 0; attempt < cap; attempt++) {
          const status = (await fetch(`http://127.0.0.1:${port}/login?email=person${attempt % 7}@x.org`))
            .status;
          assert.equal(status, 200, `login ${attempt}`);
        }
        assert.equal((await fetch(`http://127.0.0.1:${port}/login?email=person0@x.org`)).status, 429);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test('addresses: a port a proxy wrote into X-Forwarded-For is not part of the key (issue 10.7)', () => {
      assert.equal(addressKey('203.0.113.5:41234'), '203.0.113.5');
      assert.equal(addressKey('203.0.113.5:1'), addressKey('203.0.113.5'));
      assert.equal(addressKey('[2001:db8:1:2::1]:443'), addressKey('2001:db8:1:2::1'));
      assert.equal(addressKey('[2001:db8:1:2::1]'), addressKey('2001:db8:1:2::1'));
    });
  });
});
