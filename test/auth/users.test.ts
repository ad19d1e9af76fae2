import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { AuthError } from '../../server/auth/errors.js';
import {
  authenticate,
  changePassword,
  listAccessTokens,
  logIn,
  logOut,
  logOutEverywhere,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  signUp,
  updateProfile,
  verifyEmail,
} from '../../server/auth/users.js';
import { closeHasher, createDomain, type DomainHarness } from '../helpers/domain.js';

const PASSWORD = 'correct horse battery staple';

const code = (expected: string, status?: number) => (error: unknown) =>
  error instanceof AuthError && error.code === expected && (status === undefined || error.status === status);

function secretFrom(link: string, parameter: string): string {
  return new URL(link).searchParams.get(parameter) ?? '';
}

describe('auth/users', () => {
  let domain: DomainHarness;
  beforeEach(async () => {
    domain = await createDomain();
  });
  afterEach(async () => {
    await domain.close();
  });
  after(closeHasher);

  async function verifiedUser(email = 'ada@example.com', username: string | null = null) {
    const user = await signUp(domain.deps, { email, username, password: PASSWORD }, 'reject');
    assert.ok(user);
    const mail = (await domain.queuedMail()).find((m) => m.to === email && m.kind === 'verify');
    assert.ok(mail);
    await verifyEmail(domain.deps, user.id, secretFrom(mail.link, 'token'));
    return user;
  }

  test('sign-up stores a bcrypt hash, never the password, and queues a verification link from APP_URL', async () => {
    const user = await signUp(domain.deps, { email: ' Ada@Example.com ', password: PASSWORD }, 'reject');
    assert.ok(user);
    assert.equal(user.email, 'Ada@Example.com');
    assert.match(user.passwordHash, /^\$2[aby]\$04\$/);
    assert.notEqual(user.passwordHash, PASSWORD);
    const [mail] = await domain.queuedMail();
    assert.equal(mail?.kind, 'verify');
    assert.ok(mail?.link.startsWith('https://users.example.test/verify?uid='));
  });

  test('email and username are unique ignoring case', async () => {
    await signUp(domain.deps, { email: 'ada@example.com', username: 'Ada', password: PASSWORD }, 'reject');
    await assert.rejects(
      signUp(domain.deps, { email: 'ADA@example.com', password: PASSWORD }, 'reject'),
      (error: unknown) =>
        error instanceof AuthError &&
        error.status === 422 &&
        error.details?.codes.email?.[0] === 'uniqueness',
    );
    await assert.rejects(
      signUp(domain.deps, { email: 'other@example.com', username: 'ADA', password: PASSWORD }, 'reject'),
      (error: unknown) => error instanceof AuthError && error.details?.codes.username?.[0] === 'uniqueness',
    );
  });

  test('a taken email under notify-owner creates nothing and emails the owner', async () => {
    await signUp(domain.deps, { email: 'ada@example.com', password: PASSWORD }, 'notify-owner');
    const again = await signUp(
      domain.deps,
      { email: 'ADA@example.com', password: 'another long password' },
      'notify-owner',
    );
    assert.equal(again, null);
    const kinds = (await domain.queuedMail()).map((m) => m.kind);
    assert.deepEqual(kinds, ['verify', 'signup-attempt']);
  });

  test('password policy: length in characters, 72 bytes at most, common and personal passwords refused', async () => {
    const attempt = (password: string, email = 'p@example.com', username: string | null = 'pat') =>
      signUp(domain.deps, { email, username, password }, 'reject');
    await assert.rejects(
      attempt('short pass'),
      (error: unknown) => error instanceof AuthError && error.status === 422,
    );
    await assert.rejects(attempt('x'.repeat(73)), code('PASSWORD_TOO_LONG', 422));
    await assert.rejects(
      attempt('é'.repeat(37)),
      code('PASSWORD_TOO_LONG', 422),
      '74 bytes in 37 characters',
    );
    await assert.rejects(
      attempt('qwerty123456'),
      (error: unknown) =>
        error instanceof AuthError && error.details?.codes.password?.[0] === 'password.common',
    );
    await assert.rejects(
      attempt('p@example.com'),
      (error: unknown) =>
        error instanceof AuthError && error.details?.codes.password?.[0] === 'password.matchesEmail',
    );
    await assert.rejects(
      signUp(
        domain.deps,
        { email: 'q@example.com', username: 'a-long-username-here', password: 'A-Long-Username-Here' },
        'reject',
      ),
      (error: unknown) =>
        error instanceof AuthError && error.details?.codes.password?.[0] === 'password.matchesUsername',
    );
    assert.ok(await attempt('🔐 spaces and emoji are fine 🎉'));
    assert.ok(await attempt(`${'x'.repeat(71)}y`, 'seventy-two@example.com', null));
  });

  test('log in by email or username; unknown user and wrong password fail alike', async () => {
    await verifiedUser('ada@example.com', 'ada');
    assert.ok((await logIn(domain.deps, { email: 'ADA@example.com', password: PASSWORD })).secret);
    assert.ok((await logIn(domain.deps, { username: 'ADA', password: PASSWORD })).secret);
    const unknown = await logIn(domain.deps, { email: 'nobody@example.com', password: PASSWORD }).catch(
      (e: unknown) => e,
    );
    const wrong = await logIn(domain.deps, { email: 'ada@example.com', password: 'wrong password!' }).catch(
      (e: unknown) => e,
    );
    assert.ok(unknown instanceof AuthError && wrong instanceof AuthError);
    assert.deepEqual(
      [unknown.status, unknown.code, unknown.message],
      [wrong.status, wrong.code, wrong.message],
    );
    await assert.rejects(logIn(domain.deps, { password: PASSWORD }), code('USERNAME_EMAIL_REQUIRED', 400));
    const longPassword = 'a long passphrase that is exactly seventy-two bytes long, all told ok?'.padEnd(
      72,
      '!',
    );
    await signUp(domain.deps, { email: 'long@example.com', password: longPassword }, 'reject');
    await assert.rejects(
      logIn(domain.deps, { email: 'long@example.com', password: `${longPassword}-and-more` }),
      code('LOGIN_FAILED', 401),
      'bytes past 72 are not ignored',
    );
  });

  test('an unverified email cannot log in until verified (when verification is required)', async () => {
    await signUp(domain.deps, { email: 'new@example.com', password: PASSWORD }, 'reject');
    await assert.rejects(
      logIn(domain.deps, { email: 'new@example.com', password: PASSWORD }),
      code('LOGIN_FAILED_EMAIL_NOT_VERIFIED', 401),
    );
    const relaxed = await createDomain({ emailVerificationRequired: false });
    await signUp(relaxed.deps, { email: 'new@example.com', password: PASSWORD }, 'reject');
    assert.ok(await logIn(relaxed.deps, { email: 'new@example.com', password: PASSWORD }));
    await relaxed.close();
  });

  test('access tokens: 64 url-safe characters, only the hash stored, valid at TTL and refused at TTL+1', async () => {
    await verifiedUser();
    const login = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD, ttl: 60 });
    assert.match(login.secret, /^[A-Za-z0-9_-]{64}$/);
    assert.equal(await domain.deps.store.findToken(login.secret), null, 'the secret itself is not a key');
    assert.equal(login.token.ttl, 60);
    domain.clock.advance(60);
    assert.ok(await authenticate(domain.deps, login.secret), 'valid at exactly its TTL');
    domain.clock.advance(1);
    assert.equal(await authenticate(domain.deps, login.secret), null, 'refused one second later');
    assert.equal(await domain.deps.store.sweepExpiredTokens(domain.clock.now()), 1, 'and swept');
    assert.equal(await domain.deps.store.findToken(login.token.hash), null);
  });

  test('a login ttl is capped at MAX_ACCESS_TOKEN_TTL', async () => {
    await verifiedUser();
    const login = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD, ttl: 10 ** 9 });
    assert.equal(login.token.ttl, domain.deps.settings.maxAccessTokenTtl);
  });

  test('log out spends one token; log out everywhere spends them all', async () => {
    const user = await verifiedUser();
    const one = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    const two = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    await logOut(domain.deps, one.token);
    assert.equal(await authenticate(domain.deps, one.secret), null);
    assert.ok(await authenticate(domain.deps, two.secret));
    await logOutEverywhere(domain.deps, user.id);
    assert.equal(await authenticate(domain.deps, two.secret), null);
    assert.deepEqual(await listAccessTokens(domain.deps, user.id), []);
  });

  test('verification links: wrong user 404, wrong or expired token 400, then the email is verified', async () => {
    const user = await signUp(domain.deps, { email: 'v@example.com', password: PASSWORD }, 'reject');
    assert.ok(user);
    const [mail] = await domain.queuedMail();
    const secret = secretFrom(mail!.link, 'token');
    await assert.rejects(verifyEmail(domain.deps, 'nobody', secret), code('USER_NOT_FOUND', 404));
    await assert.rejects(verifyEmail(domain.deps, user.id, 'x'.repeat(64)), code('INVALID_TOKEN', 400));
    domain.clock.advance(domain.deps.settings.verifyTokenTtl + 1);
    await assert.rejects(
      verifyEmail(domain.deps, user.id, secret),
      code('INVALID_TOKEN', 400),
      'verification links expire',
    );
    await resendVerification(domain.deps, 'V@example.com');
    const fresh = (await domain.queuedMail()).filter((m) => m.kind === 'verify').at(-1)!;
    const verified = await verifyEmail(domain.deps, user.id, secretFrom(fresh.link, 'token'));
    assert.equal(verified.emailVerified, true);
    await assert.rejects(
      verifyEmail(domain.deps, user.id, secretFrom(fresh.link, 'token')),
      code('INVALID_TOKEN', 400),
      'used once',
    );
  });

  test('password reset: scoped to the reset, single use, expires after RESET_TOKEN_TTL, revokes every token', async () => {
    const user = await verifiedUser();
    const session = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    let fired = 0;
    domain.deps.events.on('resetPasswordRequest', () => fired++);
    await requestPasswordReset(domain.deps, 'ADA@example.com');
    assert.equal(fired, 1);
    const mail = (await domain.queuedMail()).find((m) => m.kind === 'reset')!;
    assert.ok(mail.link.startsWith('https://users.example.test/reset-password?access_token='));
    const secret = secretFrom(mail.link, 'access_token');

    assert.equal(await authenticate(domain.deps, secret), null, 'a reset token is no login');
    await assert.rejects(
      resetPassword(domain.deps, session.secret, 'a new long password'),
      code('AUTHORIZATION_REQUIRED', 401),
      'a login token resets nothing',
    );

    domain.clock.advance(domain.deps.settings.resetTokenTtl);
    await resetPassword(domain.deps, secret, 'a new long password');
    await assert.rejects(
      resetPassword(domain.deps, secret, 'another new password'),
      code('AUTHORIZATION_REQUIRED', 401),
      'spent by its use',
    );
    assert.equal(await authenticate(domain.deps, session.secret), null, 'every session ended');
    await assert.rejects(
      logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD }),
      code('LOGIN_FAILED'),
    );
    assert.ok(await logIn(domain.deps, { email: 'ada@example.com', password: 'a new long password' }));
    assert.equal((await domain.deps.store.findUserById(user.id))?.emailVerified, true);
  });

  test('a reset link is refused one second after RESET_TOKEN_TTL', async () => {
    await verifiedUser();
    await requestPasswordReset(domain.deps, 'ada@example.com');
    const mail = (await domain.queuedMail()).find((m) => m.kind === 'reset')!;
    domain.clock.advance(domain.deps.settings.resetTokenTtl + 1);
    await assert.rejects(
      resetPassword(domain.deps, secretFrom(mail.link, 'access_token'), 'a new long password'),
      code('AUTHORIZATION_REQUIRED', 401),
    );
  });

  test('a new reset request replaces the earlier link; an unknown email queues nothing', async () => {
    await verifiedUser();
    await requestPasswordReset(domain.deps, 'ada@example.com');
    await requestPasswordReset(domain.deps, 'ada@example.com');
    const links = (await domain.queuedMail())
      .filter((m) => m.kind === 'reset')
      .map((m) => secretFrom(m.link, 'access_token'));
    await assert.rejects(
      resetPassword(domain.deps, links[0]!, 'a new long password'),
      code('AUTHORIZATION_REQUIRED'),
    );
    await resetPassword(domain.deps, links[1]!, 'a new long password');
    const before = (await domain.queuedMail()).length;
    await requestPasswordReset(domain.deps, 'ghost@example.com');
    assert.equal((await domain.queuedMail()).length, before);
    await assert.rejects(requestPasswordReset(domain.deps, '  '), code('EMAIL_REQUIRED', 400));
  });

  test('change password: checks the old one, keeps or rotates the current token, revokes the rest', async () => {
    const user = await verifiedUser();
    const here = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    const elsewhere = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    await assert.rejects(
      changePassword(domain.deps, user, 'wrong password', 'a new long password', { keep: here.token }),
      code('INVALID_PASSWORD', 400),
    );
    const kept = await changePassword(domain.deps, user, PASSWORD, 'a new long password', {
      keep: here.token,
    });
    assert.equal(kept.session, null);
    assert.ok(await authenticate(domain.deps, here.secret));
    assert.equal(await authenticate(domain.deps, elsewhere.secret), null);

    const rotated = await changePassword(
      domain.deps,
      kept.user,
      'a new long password',
      'yet another password',
      { rotate: here.token },
    );
    assert.ok(rotated.session);
    assert.equal(await authenticate(domain.deps, here.secret), null, 'the old token is replaced');
    assert.ok(await authenticate(domain.deps, rotated.session.secret));
  });

  test('an email change unverifies, sends a new link and ends other sessions', async () => {
    const user = await verifiedUser();
    const here = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    const elsewhere = await logIn(domain.deps, { email: 'ada@example.com', password: PASSWORD });
    const updated = await updateProfile(domain.deps, user, { email: 'ada@new.example' }, here.token.hash);
    assert.equal(updated.emailVerified, false);
    assert.ok(await authenticate(domain.deps, here.secret));
    assert.equal(await authenticate(domain.deps, elsewhere.secret), null);
    assert.ok((await domain.queuedMail()).some((m) => m.to === 'ada@new.example' && m.kind === 'verify'));
    assert.equal(await domain.deps.store.findUserByEmail('ada@example.com'), null);
  });
});

describe('auth/users under concurrency', () => {
  let domain: DomainHarness;
  beforeEach(async () => {
    domain = await createDomain();
  });
  afterEach(async () => {
    await domain.close();
  });
  after(closeHasher);

  async function verifiedUser(email: string) {
    const user = await signUp(domain.deps, { email, password: PASSWORD }, 'reject');
    const mail = (await domain.queuedMail()).find((m) => m.to === email && m.kind === 'verify');
    return verifyEmail(domain.deps, user!.id, secretFrom(mail!.link, 'token'));
  }

  test('a reset link used twice at the same moment works exactly once', async () => {
    await verifiedUser('race@example.com');
    await requestPasswordReset(domain.deps, 'race@example.com');
    const mail = (await domain.queuedMail()).find((m) => m.kind === 'reset')!;
    const secret = secretFrom(mail.link, 'access_token');
    const results = await Promise.allSettled([
      resetPassword(domain.deps, secret, 'first new password'),
      resetPassword(domain.deps, secret, 'second new password'),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const refused = results.find((result) => result.status === 'rejected');
    assert.ok(refused && code('AUTHORIZATION_REQUIRED', 401)(refused.reason));
    const winner = results[0]?.status === 'fulfilled' ? 'first new password' : 'second new password';
    assert.ok(await logIn(domain.deps, { email: 'race@example.com', password: winner }));
  });

  test('a login racing a password change never leaves a token the change meant to end', async () => {
    const user = await verifiedUser('racing@example.com');
    const here = await logIn(domain.deps, { email: 'racing@example.com', password: PASSWORD });
    for (let round = 0; round < 5; round++) {
      const current = (await domain.deps.store.findUserById(user.id))!;
      const oldPassword = round === 0 ? PASSWORD : `new password number ${round - 1}`;
      const [login] = await Promise.allSettled([
        logIn(domain.deps, { email: 'racing@example.com', password: oldPassword }),
        changePassword(domain.deps, current, oldPassword, `new password number ${round}`, {
          keep: here.token,
        }),
      ]);
      if (login.status === 'fulfilled') {
        assert.equal(await authenticate(domain.deps, login.value.secret), null, `round ${round}`);
      } else {
        assert.ok(code('LOGIN_FAILED', 401)(login.reason));
      }
    }
  });

  test('a profile change made while a password change hashes is kept', async () => {
    const user = await verifiedUser('keep@example.com');
    const here = await logIn(domain.deps, { email: 'keep@example.com', password: PASSWORD });
    const changing = changePassword(domain.deps, user, PASSWORD, 'a new long password', { keep: here.token });
    await updateProfile(domain.deps, user, { username: 'renamed' }, here.token.hash);
    const { user: after } = await changing;
    assert.equal(after.username, 'renamed');
    assert.equal((await domain.deps.store.findUserById(user.id))?.username, 'renamed');
    assert.ok(await logIn(domain.deps, { username: 'renamed', password: 'a new long password' }));
  });
});
