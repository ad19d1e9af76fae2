import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../server/config.js';

// Issue 16.1: OIDC_PROVIDERS is validated at start like every variable; a bad entry names itself.

const google = {
  id: 'google',
  name: 'Google',
  issuer: 'https://accounts.google.com',
  clientId: 'client.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-very-secret',
};

const refuses = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(error.message, pattern);
  assert.doesNotMatch(error.message, /very-secret/, 'the message echoes a client secret');
  return true;
};

const load = (value: unknown, env: Record<string, string> = {}) =>
  loadConfig({ OIDC_PROVIDERS: typeof value === 'string' ? value : JSON.stringify(value), ...env });

test('none by default; a valid entry is kept as given', () => {
  assert.deepEqual(loadConfig({}).oidcProviders, []);
  const [entry] = load([{ ...google, scopes: ['email', 'profile'] }]).oidcProviders;
  assert.deepEqual(entry, { ...google, scopes: ['email', 'profile'] });
});

test('not JSON, or not an array', () => {
  assert.throws(() => load('{'), refuses(/OIDC_PROVIDERS: must be a JSON array/));
  assert.throws(() => load(google), refuses(/OIDC_PROVIDERS: must be a JSON array/));
});

test('a bad entry names the variable, its place, its id and the field', () => {
  const { clientSecret: _secret, ...noSecret } = google;
  assert.throws(() => load([noSecret]), refuses(/OIDC_PROVIDERS\[0\] \(google\)\.clientSecret/));
  assert.throws(
    () => load([google, { ...google, id: 'Bad Id' }]),
    refuses(/OIDC_PROVIDERS\[1\] \(Bad Id\)\.id: must be 1-32/),
  );
  assert.throws(() => load([{ ...google, extra: 1 }]), refuses(/OIDC_PROVIDERS\[0\] \(google\).*extra/));
  assert.throws(() => load([google, google]), refuses(/OIDC_PROVIDERS\[1\] \(google\)\.id: google is used/));
  assert.throws(
    () => load([{ ...google, scopes: ['a b'] }]),
    refuses(/scopes\.0: must be OAuth scope tokens/),
  );
});

test('issuers: https, or http on a loopback host outside production only', () => {
  assert.throws(
    () => load([{ ...google, issuer: 'http://idp.example.com' }]),
    refuses(/OIDC_PROVIDERS\[0\] \(google\)\.issuer: .*must be https/),
  );
  assert.equal(load([{ ...google, issuer: 'http://127.0.0.1:4000' }]).oidcProviders.length, 1);
  assert.throws(
    () =>
      load([{ ...google, issuer: 'http://localhost:4000' }], {
        NODE_ENV: 'production',
        SESSION_KEYS: 'x'.repeat(40),
        SMTP_URL: 'smtp://mail.example.com',
        APP_URL: 'https://app.example.com',
      }),
    refuses(/issuer: .*https in production/),
  );
});

test('OIDC_PROVIDERS_FILE: the same JSON from a file; a missing file and both variables are named', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-oidc-config-'));
  try {
    const file = path.join(dir, 'providers.json');
    await writeFile(file, JSON.stringify([google]));
    assert.equal(loadConfig({ OIDC_PROVIDERS_FILE: file }).oidcProviders[0]?.id, 'google');
    assert.throws(
      () => loadConfig({ OIDC_PROVIDERS_FILE: path.join(dir, 'absent.json') }),
      refuses(/OIDC_PROVIDERS_FILE \(.*absent\.json\): cannot be read \(ENOENT\)/),
    );
    await writeFile(file, JSON.stringify([{ ...google, issuer: 'ftp://x' }]));
    assert.throws(
      () => loadConfig({ OIDC_PROVIDERS_FILE: file }),
      refuses(/OIDC_PROVIDERS_FILE .*\[0\] \(google\)\.issuer/),
    );
    assert.throws(() => loadConfig({ OIDC_PROVIDERS_FILE: file, OIDC_PROVIDERS: '[]' }), refuses(/not both/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
