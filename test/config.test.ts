import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, DEVELOPMENT_SESSION_KEY, loadConfig } from '../server/config.js';

const realKey = 'k'.repeat(40);
const production = {
  NODE_ENV: 'production',
  SESSION_KEYS: realKey,
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_URL: 'https://users.example.com/',
};

test('defaults follow SPEC §1', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.appUrl, 'http://localhost:3000');
  assert.equal(config.dbFile, path.resolve('data/db.json'));
  assert.equal(config.outboxDir, path.resolve('data/outbox'));
  assert.equal(config.smtpUrl, undefined);
  assert.equal(config.mailFrom, 'no-reply@localhost');
  assert.equal(config.emailVerificationRequired, true);
  assert.deepEqual(
    [config.accessTokenTtl, config.maxAccessTokenTtl, config.resetTokenTtl, config.verifyTokenTtl],
    [1_209_600, 31_556_926, 900, 86_400],
  );
  assert.equal(config.bcryptRounds, 10);
  assert.equal(config.passwordMinLength, 12);
  assert.equal(config.rateLimits, true);
  assert.equal(config.trustProxy, false);
  assert.equal(config.usingDevelopmentSessionKey, true);
  assert.deepEqual(config.sessionKeys, [DEVELOPMENT_SESSION_KEY]);
  assert.ok(Object.isFrozen(config));
});

test('APP_URL follows PORT, waits for the real port with PORT=0, and decides secure cookies', () => {
  assert.equal(loadConfig({ PORT: '8080' }).appUrl, 'http://localhost:8080');
  assert.equal(loadConfig({ PORT: '0' }).appUrl, undefined);
  const https = loadConfig({ APP_URL: 'https://users.example.com/' });
  assert.equal(https.appUrl, 'https://users.example.com');
  assert.equal(https.secureCookies, true);
});

for (const [variable, value] of [
  ['PORT', 'eighty'],
  ['PORT', '70000'],
  ['APP_URL', 'ftp://example.com'],
  ['SMTP_URL', 'http://mail'],
  ['EMAIL_VERIFICATION_REQUIRED', 'maybe'],
  ['ACCESS_TOKEN_TTL', '-5'],
  ['BCRYPT_ROUNDS', '3'],
  ['BCRYPT_ROUNDS', '32'],
  ['PASSWORD_MIN_LENGTH', '4'],
  ['RATE_LIMITS', 'sometimes'],
  ['TRUST_PROXY', 'perhaps'],
  ['NODE_ENV', 'staging'],
] as const) {
  test(`${variable}=${value} stops the start with a message naming ${variable}`, () => {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(variable),
    );
  });
}

test('ACCESS_TOKEN_TTL may not exceed MAX_ACCESS_TOKEN_TTL', () => {
  assert.throws(
    () => loadConfig({ ACCESS_TOKEN_TTL: '100', MAX_ACCESS_TOKEN_TTL: '50' }),
    /ACCESS_TOKEN_TTL/,
  );
});

test('production starts with real keys, SMTP and APP_URL', () => {
  const config = loadConfig(production);
  assert.equal(config.isProduction, true);
  assert.equal(config.apiExplorer, false);
  assert.equal(config.usingDevelopmentSessionKey, false);
});

for (const [why, change, variable] of [
  ['no session keys', { SESSION_KEYS: undefined }, 'SESSION_KEYS'],
  ['the development key', { SESSION_KEYS: DEVELOPMENT_SESSION_KEY }, 'SESSION_KEYS'],
  ['a short key', { SESSION_KEYS: 'short' }, 'SESSION_KEYS'],
  ['the dev outbox (no SMTP_URL)', { SMTP_URL: undefined }, 'SMTP_URL'],
  ['RATE_LIMITS=off', { RATE_LIMITS: 'off' }, 'RATE_LIMITS'],
  ['no APP_URL', { APP_URL: undefined }, 'APP_URL'],
] as const) {
  test(`production refuses ${why}`, () => {
    assert.throws(
      () => loadConfig({ ...production, ...change }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(variable),
    );
  });
}

test('empty values count as unset', () => {
  assert.equal(loadConfig({ PORT: '', SMTP_URL: '' }).port, 3000);
});

test('CORS_ORIGINS: none by default; a comma-separated list of exact origins', () => {
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(
    loadConfig({ CORS_ORIGINS: 'https://spa.example.com, http://localhost:5173' }).corsOrigins,
    ['https://spa.example.com', 'http://localhost:5173'],
  );
});

for (const bad of [
  '*',
  'https://spa.example.com/',
  'https://spa.example.com/app',
  'spa.example.com',
  'ftp://x.example',
]) {
  test(`CORS_ORIGINS refuses ${bad}, naming the variable`, () => {
    assert.throws(
      () => loadConfig({ CORS_ORIGINS: bad }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('CORS_ORIGINS'),
    );
  });
}

test('REQUEST_TIMEOUT: 30 s by default (Node would wait 300 s for a trickled body), in seconds', () => {
  assert.equal(loadConfig({}).requestTimeoutMs, 30_000);
  assert.equal(loadConfig({ REQUEST_TIMEOUT: '5' }).requestTimeoutMs, 5_000);
  assert.throws(() => loadConfig({ REQUEST_TIMEOUT: '0' }), /REQUEST_TIMEOUT/);
});

test('SECURITY_LOG_DAYS and SECURITY_LOG_MAX: 90 days and 1000 entries by default; nonsense stops the start', () => {
  assert.equal(loadConfig({}).securityLogDays, 90);
  assert.equal(loadConfig({}).securityLogMax, 1000);
  assert.equal(loadConfig({ SECURITY_LOG_DAYS: '7', SECURITY_LOG_MAX: '50' }).securityLogDays, 7);
  assert.equal(loadConfig({ SECURITY_LOG_DAYS: '7', SECURITY_LOG_MAX: '50' }).securityLogMax, 50);
  assert.throws(() => loadConfig({ SECURITY_LOG_DAYS: '0' }), /SECURITY_LOG_DAYS/);
  assert.throws(() => loadConfig({ SECURITY_LOG_MAX: 'lots' }), /SECURITY_LOG_MAX/);
});

test('a bad value is said in plain words after its name, not in zod’s', () => {
  assert.throws(
    () => loadConfig({ BCRYPT_ROUNDS: '99', RATE_LIMITS: 'sometimes', MAIL_FROM: 'a' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message.includes('BCRYPT_ROUNDS must be at most 15') &&
      error.message.includes('RATE_LIMITS must be one of on, off') &&
      error.message.includes('MAIL_FROM must be at least 3 characters long') &&
      !/Too big|Too small|Invalid option/.test(error.message),
  );
});
