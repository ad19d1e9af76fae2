import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../server/auth/errors.js';
import {
  authenticate,
  listAccessTokens,
  logIn,
  logOut,
  logOutEverywhere,
  revokeAccessToken,
} from '../../server/auth/sessions.js';
import { signUp } from '../../server/auth/sign-up.js';
import { hashToken } from '../../server/auth/tokens.js';
import { code, createDomain, domainPerTest, PASSWORD, verifiedUser } from '../helpers/domain.js';

describe('auth/sessions', () => {
  const domain = domainPerTest();

  test('log in by email or username; unknown user and wrong password fail alike', async () => {
    await verifiedUser(domain(), 'ada@example.com', 'ada');
    assert.ok((await logIn(domain().deps, { email: 'ADA@example.com', password: PASSWORD })).secret);
    assert.ok((await logIn(domain().deps, { username: 'ADA', password: PASSWORD })).secret);
    const unknown = await logIn(domain().deps, { email: 'nobody@example.com', password: PASSWORD }).catch(
      (e: unknown) => e,
    );
    const wrong = await logIn(domain().deps, { email: 'ada@example.com', password: 'wrong password!' }).catch(
      (e: unknown) => e,
    );
    assert.ok(unknown instanceof AuthError && wrong instanceof AuthError);
    assert.deepEqual([unknown.code, unknown.problems], [wrong.code, wrong.problems]);
    await assert.rejects(
      logIn(domain().deps, { email: 'ad\u200ba@example.com', password: PASSWORD }),
      code('LOGIN_FAILED'),
      'a lookalike address matches nobody',
    );
    await assert.rejects(logIn(domain().deps, { password: PASSWORD }), code('USERNAME_EMAIL_REQUIRED'));
    const longPassword = 'a long passphrase that is exactly seventy-two bytes long, all told ok?'.padEnd(
      72,
      '!',
    );
    await signUp(domain().deps, { email: 'long@example.com', password: longPassword }, 'reject');
    await assert.rejects(
      logIn(domain().deps, { email: 'long@example.com', password: `${longPassword}-and-more` }),
      code('LOGIN_FAILED'),
      'bytes past 72 are not ignored',
    );
  });

  test('an unverified email cannot log in until verified (when verification is required)', async () => {
    await signUp(domain().deps, { email: 'new@example.com', password: PASSWORD }, 'reject');
    await assert.rejects(
      logIn(domain().deps, { email: 'new@example.com', password: PASSWORD }),
      code('LOGIN_FAILED_EMAIL_NOT_VERIFIED'),
    );
    const relaxed = await createDomain({ emailVerificationRequired: false });
    await signUp(relaxed.deps, { email: 'new@example.com', password: PASSWORD }, 'reject');
    assert.ok(await logIn(relaxed.deps, { email: 'new@example.com', password: PASSWORD }));
    await relaxed.close();
  });

  test('access tokens: 64 url-safe characters, only the hash stored, valid at TTL and refused at TTL+1', async () => {
    await verifiedUser(domain());
    const login = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD, ttl: 60 });
    assert.match(login.secret, /^[A-Za-z0-9_-]{64}$/);
    assert.equal(login.token.hash, hashToken(login.secret));
    assert.equal(
      await domain().deps.store.findTokenWithUser(login.secret),
      null,
      'the secret itself is not a key',
    );
    assert.equal(login.token.ttl, 60);
    assert.equal(login.token.expiresAt, new Date(domain().clock.now().getTime() + 60_000).toISOString());
    domain().clock.advance(60);
    assert.ok(await authenticate(domain().deps, login.secret), 'valid at exactly its TTL');
    domain().clock.advance(1);
    assert.equal(await authenticate(domain().deps, login.secret), null, 'refused one second later');
    assert.equal(await domain().deps.store.sweepExpiredTokens(domain().clock.now()), 1, 'and swept');
    assert.equal(await domain().deps.store.findTokenWithUser(login.token.hash), null);
  });

  test('a login ttl is capped at MAX_ACCESS_TOKEN_TTL', async () => {
    await verifiedUser(domain());
    const login = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD, ttl: 10 ** 9 });
    assert.equal(login.token.ttl, domain().deps.settings.maxAccessTokenTtl);
  });

  test('live access tokens are capped per account: the oldest go first (issue 10.7)', async () => {
    const capped = await createDomain({ maxAccessTokens: 3 });
    try {
      const user = await verifiedUser(capped);
      const logins = [];
      for (let i = 0; i < 5; i++) {
        logins.push(await logIn(capped.deps, { email: 'ada@example.com', password: PASSWORD }));
        capped.clock.advance(1);
      }
      assert.equal((await listAccessTokens(capped.deps, user.id)).length, 3);
      assert.equal(await authenticate(capped.deps, logins[0]!.secret), null, 'the oldest went');
      assert.equal(await authenticate(capped.deps, logins[1]!.secret), null);
      assert.ok(await authenticate(capped.deps, logins[4]!.secret), 'the newest stays');
    } finally {
      await capped.close();
    }
  });

  test('log out spends one token; log out everywhere spends them all', async () => {
    const user = await verifiedUser(domain());
    const one = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const two = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    await logOut(domain().deps, one.token);
    assert.equal(await authenticate(domain().deps, one.secret), null);
    assert.ok(await authenticate(domain().deps, two.secret));
    await logOutEverywhere(domain().deps, user.id);
    assert.equal(await authenticate(domain().deps, two.secret), null);
    assert.deepEqual(await listAccessTokens(domain().deps, user.id), []);
  });

  test("one token is revoked by its hash; another account's hash revokes nothing", async () => {
    const ada = await verifiedUser(domain());
    const bob = await verifiedUser(domain(), 'bob@example.com');
    const mine = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const theirs = await logIn(domain().deps, { email: 'bob@example.com', password: PASSWORD });
    assert.equal(await revokeAccessToken(domain().deps, ada.id, theirs.token.hash), false);
    assert.ok(await authenticate(domain().deps, theirs.secret));
    assert.equal(await revokeAccessToken(domain().deps, ada.id, mine.token.hash), true);
    assert.equal(await authenticate(domain().deps, mine.secret), null);
    assert.equal(await revokeAccessToken(domain().deps, ada.id, mine.token.hash), false, 'already gone');
    assert.equal((await listAccessTokens(domain().deps, bob.id)).length, 1);
  });

  test('a token of another kind opens nothing', async () => {
    await verifiedUser(domain());
    const login = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    assert.equal(await authenticate(domain().deps, login.secret, 'reset'), null);
    assert.equal(await authenticate(domain().deps, 'not a token'), null);
  });
});
