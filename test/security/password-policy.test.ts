import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { presentAuthError } from '../../server/api/present-error.js';
import { checkPasswordPolicy } from '../../server/auth/passwords.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { pathOf } from '../helpers/browser.js';
import { api, errorOf, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

const context = { minLength: 12, email: 'pat.smith@example.com', username: 'patsmith' };
const codeOf = (password: string, overrides: Partial<typeof context> = {}) => {
  const error = checkPasswordPolicy(password, { ...context, ...overrides });
  return error ? (error.details?.codes.password?.[0] ?? error.code) : null;
};

describe('checkPasswordPolicy (NIST SP 800-63B, ASVS V2.1)', () => {
  test('length: at least PASSWORD_MIN_LENGTH characters, counted as characters not bytes', () => {
    assert.equal(codeOf('eleven char'), 'password.tooShort');
    assert.equal(codeOf('twelve chars'), null);
    assert.equal(codeOf('🐢🦊🐙🦉🐝🦋🐬🦜🐌🦔🐞🦩'), null, 'twelve emoji are twelve characters (48 bytes)');
    assert.equal(codeOf('sixteen chars ok', { minLength: 16 }), null);
    assert.equal(codeOf('fifteen chars!!', { minLength: 16 }), 'password.tooShort');
  });

  test('at most 72 bytes (bcrypt would cut the rest silently), with a message that says so', () => {
    assert.equal(codeOf(`${'ab'.repeat(35)}cd`), null, '72 bytes');
    assert.equal(codeOf(`${'ab'.repeat(36)}c`), 'password.tooLong', '73 bytes');
    assert.equal(codeOf('🐢🦊🐙🦉🐝🦋🐬🦜🐌🦔🐞🦩🐢🦊🐙🦉🐝🦋'), null, '18 emoji = 72 bytes');
    assert.equal(codeOf('🐢🦊🐙🦉🐝🦋🐬🦜🐌🦔🐞🦩🐢🦊🐙🦉🐝🦋🐬'), 'password.tooLong', '19 emoji = 76 bytes');
    // The domain names the problem; the API's presenter words it (LoopBack's PASSWORD_TOO_LONG).
    const error = checkPasswordPolicy('x'.repeat(100), context);
    assert.ok(error);
    const answer = presentAuthError({ passwordMinLength: 12 })(error);
    assert.match(answer?.message ?? '', /72 bytes/);
    assert.deepEqual(answer?.details?.codes, { password: ['password.tooLong'] });
  });

  test('any characters: spaces, punctuation, accents and emoji are all allowed', () => {
    for (const password of [
      'correct horse battery staple',
      '  leading and trailing  ',
      'ünïcödé pässwörd ñ',
      'パスワードは長いほうがいい',
      '🔐 emoji count too 🎉',
      `quotes ' " \` and <tags>`,
    ]) {
      assert.equal(codeOf(password), null, password);
    }
  });

  test('the most common passwords are refused, whatever their case', () => {
    for (const password of [
      'qwerty123456',
      'QWERTY123456',
      '1qaz2wsx3edc',
      'administrator',
      'leavemealone',
    ]) {
      assert.equal(codeOf(password), 'password.common', password);
    }
  });

  test('repeated and sequential patterns are refused', () => {
    for (const password of [
      'aaaaaaaaaaaa',
      'abcabcabcabc',
      '121212121212',
      'sunshinesunshine',
      'abcdefghijkl',
      'zyxwvutsrqpo',
    ]) {
      assert.equal(codeOf(password), 'password.repetitive', password);
    }
    assert.equal(codeOf('abcdefghijk!'), null, 'a run that breaks is not a pattern');
  });

  test('the account email (or its local part) and the username are refused, case-blind', () => {
    assert.equal(codeOf('Pat.Smith@Example.com'), 'password.matchesEmail');
    assert.equal(codeOf('pat.smith.long', { email: 'pat.smith.long@example.com' }), 'password.matchesEmail');
    assert.equal(codeOf('PatSmithTheGreat', { username: 'patsmiththegreat' }), 'password.matchesUsername');
  });
});

describe('the policy on every form and API route that sets a password', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('HTML sign-up shows why a password is refused, next to the field, never echoing it', async () => {
    const browser = await freshBrowser(app);
    const cases: Array<[string, RegExp]> = [
      // The sign-up form's own words for each problem code (server/boot/forms/password.ts).
      ['short', /Use at least 12 characters\./],
      ['qwerty123456', /That is one of the most common passwords\. Choose another\./],
      ['aaaaaaaaaaaa', /That is a repeated or sequential pattern\. Choose another\./],
      ['policy@example.com', /Your password must not be your email address\./],
      ['x'.repeat(73), /Use at most 72 bytes/],
    ];
    for (const [password, message] of cases) {
      const page = await browser.post('/signup', { email: 'policy@example.com', password });
      assert.equal(page.status, 422, password);
      assert.match(page.html, message);
      if (password !== 'policy@example.com') {
        assert.ok(!page.html.includes(`value="${password}"`), 'the password is not sent back');
      }
    }
  });

  test('a password with spaces and emoji signs up and logs in', async () => {
    const password = '  my 🐢 is faster than your 🦊  ';
    const browser = await freshBrowser(app);
    assert.equal((await browser.post('/signup', { email: 'emoji@example.com', password })).status, 200);
    const link = (await app.mail.waitFor('emoji@example.com')).links.find((candidate) =>
      candidate.includes('/verify?'),
    )!;
    // The link's page changes nothing (issue 10.6); the API's confirm verifies with its uid and token.
    await browser.get(pathOf(link));
    assert.equal((await api(app, 'GET', `/api/users/confirm?${new URL(link).searchParams}`)).status, 204);
    await browser.open('/');
    assert.equal((await logInWith(browser, 'emoji@example.com', password)).status, 303);
    await browser.open('/');
    assert.equal(
      (await logInWith(browser, 'emoji@example.com', password.trim())).status,
      401,
      'spaces count',
    );
  });

  test('API sign-up: 422 ValidationError with the reason code', async () => {
    const common = await api(app, 'POST', '/api/users', {
      email: 'api-policy@example.com',
      password: 'qwerty123456',
    });
    assert.equal(common.status, 422);
    const details = (common.json as { error: { details?: { codes?: { password?: string[] } } } }).error
      .details;
    assert.deepEqual(details?.codes?.password, ['password.common']);
    const long = await api(app, 'POST', '/api/users', {
      email: 'api-policy@example.com',
      password: 'y'.repeat(80),
    });
    assert.equal(long.status, 422);
    assert.equal(errorOf(long).code, 'PASSWORD_TOO_LONG');
    const ok = await api(app, 'POST', '/api/users', { email: 'api-policy@example.com', password: PASSWORD });
    assert.equal(ok.status, 200);
    assert.doesNotMatch(ok.text, /password|\$2[aby]\$/i, 'neither the password nor its hash comes back');
  });

  test('change-password and reset-password apply the same policy', async () => {
    await seedUser(app, 'changing@example.com', { username: 'changer' });
    const browser = await freshBrowser(app);
    await logInWith(browser, 'changing@example.com', PASSWORD);
    await browser.get('/change-password');
    const weak = await browser.post('/change-password', {
      oldPassword: PASSWORD,
      newPassword: 'changer',
      confirmation: 'changer',
    });
    assert.equal(weak.status, 422);
    assert.match(weak.html, /at least 12 characters/);
    const named = await browser.post('/change-password', {
      oldPassword: PASSWORD,
      newPassword: 'changing@example.com',
      confirmation: 'changing@example.com',
    });
    assert.equal(named.status, 422);
    assert.match(named.html, /must not be your email address/);

    const login = await api(app, 'POST', '/api/users/login', {
      email: 'changing@example.com',
      password: PASSWORD,
    });
    const token = (login.json as { id: string }).id;
    const apiWeak = await api(
      app,
      'POST',
      '/api/users/change-password',
      { oldPassword: PASSWORD, newPassword: 'abcdefghijklmnop' },
      { authorization: token },
    );
    assert.equal(apiWeak.status, 422);

    await browser.open('/');
    await browser.post('/request-password-reset', { email: 'changing@example.com' });
    const link = (
      await app.mail.waitFor('changing@example.com', 30_000, (caught) =>
        caught.links.some((candidate) => candidate.includes('/reset-password?')),
      )
    ).links.find((candidate) => candidate.includes('/reset-password?'))!;
    const page = await browser.get(pathOf(link));
    assert.equal(page.status, 200);
    const accessToken = new URL(link).searchParams.get('access_token')!;
    const reset = await browser.post('/reset-password', {
      access_token: accessToken,
      password: '1qaz2wsx3edc',
      confirmation: '1qaz2wsx3edc',
    });
    assert.equal(reset.status, 422);
    assert.match(reset.html, /most common passwords/);
  });

  test('PASSWORD_MIN_LENGTH is honoured', async () => {
    const strict = await startApp({ env: { PASSWORD_MIN_LENGTH: '20' } });
    try {
      const browser = await freshBrowser(strict);
      const page = await browser.post('/signup', {
        email: 'strict@example.com',
        password: 'nineteen characters',
      });
      assert.equal(page.status, 422);
      assert.match(page.html, /at least 20 characters/);
      const ok = await browser.post('/signup', {
        email: 'strict@example.com',
        password: 'twenty characters!!!',
      });
      assert.equal(ok.status, 200);
    } finally {
      await strict.close();
    }
  });
});
