import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isResetTokenValid, requestPasswordReset, resetPassword } from '../../server/auth/password-reset.js';
import { authenticate, logIn } from '../../server/auth/sessions.js';
import { signUp } from '../../server/auth/sign-up.js';
import { code, domainPerTest, PASSWORD, secretFrom, verifiedUser } from '../helpers/domain.js';

describe('auth/password-reset', () => {
  const domain = domainPerTest();

  async function resetLink(email = 'ada@example.com') {
    await requestPasswordReset(domain().deps, email);
    const mail = (await domain().queuedMail()).filter((m) => m.kind === 'reset').at(-1)!;
    return secretFrom(mail.link, 'access_token');
  }

  test('scoped to the reset, single use, valid at RESET_TOKEN_TTL, ends every session', async () => {
    await verifiedUser(domain());
    const session = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    let fired = 0;
    domain().deps.events.on('resetPasswordRequest', () => fired++);
    await requestPasswordReset(domain().deps, 'ADA@example.com');
    assert.equal(fired, 1);
    const mail = (await domain().queuedMail()).find((m) => m.kind === 'reset')!;
    assert.ok(mail.link.startsWith('https://users.example.test/reset-password?access_token='));
    const secret = secretFrom(mail.link, 'access_token');
    assert.equal(await authenticate(domain().deps, secret), null, 'a reset token is no login');
    await assert.rejects(
      resetPassword(domain().deps, session.secret, 'a new long password'),
      code('AUTHORIZATION_REQUIRED'),
      'a login token resets nothing',
    );
    domain().clock.advance(domain().deps.settings.resetTokenTtl);
    assert.equal(await isResetTokenValid(domain().deps, secret), true);
    await resetPassword(domain().deps, secret, 'a new long password');
    await assert.rejects(
      resetPassword(domain().deps, secret, 'another new password'),
      code('AUTHORIZATION_REQUIRED'),
    );
    assert.equal(await authenticate(domain().deps, session.secret), null, 'every session ended');
    await assert.rejects(
      logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD }),
      code('LOGIN_FAILED'),
    );
    assert.ok(await logIn(domain().deps, { email: 'ada@example.com', password: 'a new long password' }));
  });

  test('a reset through the emailed link also verifies the email (issue 10.6)', async () => {
    const user = await signUp(domain().deps, { email: 'ada@example.com', password: PASSWORD }, 'reject');
    await resetPassword(domain().deps, await resetLink(), 'a new long password');
    assert.equal((await domain().deps.store.findUserById(user!.id))?.emailVerified, true);
  });

  test('a reset link is refused one second after RESET_TOKEN_TTL', async () => {
    await verifiedUser(domain());
    const secret = await resetLink();
    domain().clock.advance(domain().deps.settings.resetTokenTtl + 1);
    await assert.rejects(
      resetPassword(domain().deps, secret, 'a new long password'),
      code('AUTHORIZATION_REQUIRED'),
    );
  });

  test('a new request replaces the link and its queued email is never sent; unknown emails queue nothing', async () => {
    await verifiedUser(domain());
    await requestPasswordReset(domain().deps, 'ada@example.com');
    await requestPasswordReset(domain().deps, 'ada@example.com');
    const resets = (await domain().queuedMail()).filter((m) => m.kind === 'reset');
    assert.equal(resets.length, 1, 'the first email died with its link (issue 9.3)');
    await resetPassword(domain().deps, secretFrom(resets[0]!.link, 'access_token'), 'a new long password');
    const before = (await domain().queuedMail()).length;
    await requestPasswordReset(domain().deps, 'ghost@example.com');
    await requestPasswordReset(domain().deps, 'ad\u00ada@example.com');
    assert.equal((await domain().queuedMail()).length, before);
    await assert.rejects(requestPasswordReset(domain().deps, '  '), code('EMAIL_REQUIRED'));
  });

  test('a reset link used twice at the same moment works exactly once', async () => {
    await verifiedUser(domain(), 'race@example.com');
    const secret = await resetLink('race@example.com');
    const results = await Promise.allSettled([
      resetPassword(domain().deps, secret, 'first new password'),
      resetPassword(domain().deps, secret, 'second new password'),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const refused = results.find((result) => result.status === 'rejected');
    assert.ok(refused && code('AUTHORIZATION_REQUIRED')(refused.reason));
    const winner = results[0]?.status === 'fulfilled' ? 'first new password' : 'second new password';
    assert.ok(await logIn(domain().deps, { email: 'race@example.com', password: winner }));
  });
});
