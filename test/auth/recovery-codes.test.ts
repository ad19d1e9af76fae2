import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  spendRecoveryCode,
} from '../../server/auth/recovery-codes.js';

test('a set is ten distinct codes of 80 bits, and their hashes only', () => {
  const { codes, hashes } = generateRecoveryCodes();
  assert.equal(RECOVERY_CODE_COUNT, 10);
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
  assert.equal(hashes.length, 10);
  for (const hash of hashes) assert.match(hash, /^[0-9a-f]{64}$/);
  const stored = hashes.join(' ');
  for (const code of codes) assert.equal(stored.includes(code.replace(/-/g, '')), false);
  assert.deepEqual(hashes, codes.map(hashRecoveryCode));
  assert.equal(
    generateRecoveryCodes().codes.some((code) => codes.includes(code)),
    false,
  );
});

test('each code is spent once; the rest remain', () => {
  const { codes, hashes } = generateRecoveryCodes();
  let remaining: string[] = hashes;
  for (const [index, code] of codes.entries()) {
    const after = spendRecoveryCode(remaining, code);
    assert.ok(after, `code ${index}`);
    assert.equal(after.length, remaining.length - 1);
    assert.equal(spendRecoveryCode(after, code), null, 'spent already');
    remaining = after;
  }
  assert.deepEqual(remaining, []);
});

test('spending one code keeps the others usable and in order', () => {
  const { codes, hashes } = generateRecoveryCodes();
  const after = spendRecoveryCode(hashes, codes[3]!);
  assert.deepEqual(after, [...hashes.slice(0, 3), ...hashes.slice(4)]);
});

test('case, spaces, dashes and look-alike letters are forgiven; anything else is refused', () => {
  const { codes, hashes } = generateRecoveryCodes(1);
  const code = codes[0]!;
  assert.ok(spendRecoveryCode(hashes, ` ${code.toUpperCase().replace(/-/g, ' ')} `));
  assert.equal(normalizeRecoveryCode('0o1I-lL00-0000-0000'), '0011110000000000');
  for (const wrong of ['', 'not a code', `${code}x`, code.slice(1), generateRecoveryCodes(1).codes[0]!]) {
    assert.equal(spendRecoveryCode(hashes, wrong), null, wrong);
  }
  assert.equal(spendRecoveryCode([], code), null);
  assert.throws(() => hashRecoveryCode('short'), /not a recovery code/);
});
