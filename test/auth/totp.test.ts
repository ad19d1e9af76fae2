import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createTotpSecret,
  normalizeTotpCode,
  totpCodeAt,
  totpUri,
  verifyTotp,
} from '../../server/auth/totp.js';
import { createFakeClock } from '../helpers/clock.js';

// RFC 6238 appendix B (SHA-1 key "12345678901234567890"); a 6-digit code is the last six digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // Base32 of that ASCII key
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

const at = (seconds: number) => createFakeClock(new Date(seconds * 1000));

test('the RFC 6238 test vectors verify at their times and give their time step', async () => {
  for (const [seconds, code] of RFC_VECTORS) {
    assert.equal(
      await verifyTotp({ secret: RFC_SECRET, code, clock: at(seconds) }),
      Math.floor(seconds / 30),
    );
    assert.equal(await totpCodeAt(RFC_SECRET, at(seconds)), code);
  }
});

test('one step of drift either way, not two', async () => {
  // "081804" belongs to the step starting at 1111111080.
  const start = 1111111080;
  const check = (seconds: number) => verifyTotp({ secret: RFC_SECRET, code: '081804', clock: at(seconds) });
  assert.equal(
    await check(start + 30 + 29),
    37037036,
    'the phone one step behind: accepted to the end of it',
  );
  assert.equal(await check(start + 60), null, 'two steps behind: refused');
  assert.equal(await check(start - 30), 37037036, 'the phone one step ahead: accepted');
  assert.equal(await check(start - 31), null, 'two steps ahead: refused');
});

test('a code is accepted once: its step and every earlier one are refused after it', async () => {
  const secret = createTotpSecret();
  const clock = createFakeClock(new Date('2026-03-01T12:00:00.000Z'));
  const first = await totpCodeAt(secret, clock);
  const step = await verifyTotp({ secret, code: first, clock });
  assert.equal(step, Math.floor(clock.now().getTime() / 30_000));
  assert.equal(await verifyTotp({ secret, code: first, clock, lastTimeStep: step }), null, 'replayed');

  clock.advance(30);
  const second = await totpCodeAt(secret, clock);
  const next = await verifyTotp({ secret, code: second, clock, lastTimeStep: step });
  assert.equal(next, (step ?? 0) + 1);
  // The first code is still inside the drift window, but older than the last one used.
  assert.equal(await verifyTotp({ secret, code: first, clock, lastTimeStep: next }), null);
  assert.equal(await verifyTotp({ secret, code: first, clock, lastTimeStep: null }), step);
});

test('an expired code (two steps old) is refused', async () => {
  const secret = createTotpSecret();
  const clock = createFakeClock();
  const code = await totpCodeAt(secret, clock);
  clock.advance(60);
  assert.equal(await verifyTotp({ secret, code, clock }), null);
});

test('a wrong or malformed code is null, never an exception; spaces and dashes are forgiven', async () => {
  const clock = at(1111111109);
  for (const code of ['081805', '000000', 'abcdef', '12345', '1234567', '', '08180４']) {
    assert.equal(await verifyTotp({ secret: RFC_SECRET, code, clock }), null, code);
  }
  assert.equal(await verifyTotp({ secret: RFC_SECRET, code: ' 081 804 ', clock }), 37037036);
  assert.equal(await verifyTotp({ secret: RFC_SECRET, code: '081-804', clock }), 37037036);
  assert.equal(normalizeTotpCode('081 804'), '081804');
  assert.equal(normalizeTotpCode('08180'), null);
});

test('a new secret is 160 random bits in Base32, different each time', () => {
  const secret = createTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.notEqual(createTotpSecret(), secret);
});

test('the otpauth:// URI names the app and the account and carries the secret', () => {
  const secret = createTotpSecret();
  const uri = new URL(totpUri({ secret, issuer: 'Koa Users', accountName: 'ann@example.com' }));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/Koa Users:ann@example.com');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'Koa Users');
  for (const [name, value] of [
    ['digits', '6'],
    ['period', '30'],
    ['algorithm', 'SHA1'],
  ]) {
    const sent = uri.searchParams.get(name!);
    assert.ok(sent === null || sent === value, `${name}=${sent}`);
  }
});
