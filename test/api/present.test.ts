import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presentAccessToken, presentLogin, presentUser } from '../../server/api/present.js';
import { accessTokenSchema, userSchema } from '../../server/api/schemas.js';
import { hashToken, issueToken } from '../../server/auth/tokens.js';
import type { UserRecord } from '../../server/store/store.js';

const user: UserRecord = {
  id: 1,
  email: 'ada@example.com',
  emailKey: 'ada@example.com',
  username: 'ada',
  usernameKey: 'ada',
  pendingEmail: null,
  pendingEmailKey: null,
  version: 1,
  passwordHash: '$2b$04$abcdefghijklmnopqrstuuKf0u3rXb5C0m3W7yQ9o6Wm6n3C1x2aS',
  emailVerified: true,
  created: '2026-01-01T00:00:00.000Z',
  passwordChanged: '2026-01-01T00:00:00.000Z',
};

test('presentUser lets out the documented fields only: never the hash', () => {
  const shown = presentUser(user);
  assert.deepEqual(userSchema.strict().parse(shown), shown);
  assert.ok(!JSON.stringify(shown).includes(user.passwordHash));
  assert.ok(!('passwordChanged' in shown));
});

test('presentAccessToken shows neither the secret nor the whole hash, and marks the current token', () => {
  const { secret, record: token } = issueToken('access', 60, new Date('2026-01-01T00:00:00.000Z'));
  const record = { ...token, userId: 1 };
  const shown = presentAccessToken(record, record.hash);
  assert.deepEqual(accessTokenSchema.strict().parse(shown), shown);
  const text = JSON.stringify(shown);
  assert.ok(!text.includes(secret));
  assert.ok(!text.includes(record.hash));
  assert.equal(shown.current, true);
  assert.equal(shown.expires, '2026-01-01T00:01:00.000Z');
  assert.equal(presentAccessToken(record, hashToken('another')).current, false);
});

test("presentLogin hands out the secret as LoopBack's `id`, with the user only when asked", () => {
  const { secret, record: token } = issueToken('access', 60, new Date('2026-01-01T00:00:00.000Z'));
  const record = { ...token, userId: 1 };
  const plain = presentLogin({ secret, token: record, user }, false);
  // LoopBack 3's default ids are numbers: `"userId": 1`, never a string.
  assert.deepEqual(plain, { id: secret, ttl: 60, created: record.created, userId: 1 });
  const withUser = presentLogin({ secret, token: record, user }, true);
  assert.deepEqual(withUser.user, presentUser(user));
});
