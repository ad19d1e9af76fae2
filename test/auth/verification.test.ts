import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authenticate, logIn } from '../../server/auth/sessions.js';
import { resendVerification, signUp } from '../../server/auth/sign-up.js';
import {
  confirmEmail,
  inspectConfirmationLink,
  logInWithConfirmationLink,
  verifyEmail,
} from '../../server/auth/verification.js';
import { code, domainPerTest, PASSWORD, secretFrom, verifiedUser } from '../helpers/domain.js';

describe('auth/verification', () => {
  const domain = domainPerTest();

  async function unverified(email = 'v@example.com') {
    const user = await signUp(domain().deps, { email, password: PASSWORD }, 'reject');
    assert.ok(user);
    const mail = (await domain().queuedMail()).filter((m) => m.to === email).at(-1)!;
    return { user, secret: secretFrom(mail.link) };
  }

  test('LoopBack confirm: wrong user, wrong or expired token refused, then verified once', async () => {
    const { user, secret } = await unverified();
    await assert.rejects(verifyEmail(domain().deps, 999, secret), code('USER_NOT_FOUND'));
    await assert.rejects(verifyEmail(domain().deps, user.id, 'x'.repeat(64)), code('INVALID_TOKEN'));
    domain().clock.advance(domain().deps.settings.verifyTokenTtl + 1);
    await assert.rejects(verifyEmail(domain().deps, user.id, secret), code('INVALID_TOKEN'), 'links expire');
    await resendVerification(domain().deps, 'V@example.com');
    const fresh = (await domain().queuedMail()).filter((m) => m.kind === 'verify').at(-1)!;
    const verified = await verifyEmail(domain().deps, user.id, secretFrom(fresh.link));
    assert.equal(verified.emailVerified, true);
    await assert.rejects(
      verifyEmail(domain().deps, user.id, secretFrom(fresh.link)),
      code('INVALID_TOKEN'),
      'used once',
    );
  });

  test('inspecting a link changes nothing, however often (mail scanners open links, issue 10.6)', async () => {
    const { user, secret } = await unverified();
    for (let i = 0; i < 3; i++) {
      const link = await inspectConfirmationLink(domain().deps, user.id, secret);
      assert.equal(link?.email, 'v@example.com');
      assert.equal(link?.kind, 'verify');
    }
    assert.equal((await domain().deps.store.findUserById(user.id))?.emailVerified, false);
    assert.equal(
      await inspectConfirmationLink(domain().deps, user.id + 1, secret),
      null,
      "another user's id",
    );
  });

  test('a logged-in owner confirms with the link; another account cannot use it', async () => {
    const { user, secret } = await unverified();
    const other = await verifiedUser(domain(), 'other@example.com');
    await assert.rejects(confirmEmail(domain().deps, other, user.id, secret), code('INVALID_TOKEN'));
    const confirmed = await confirmEmail(domain().deps, user, user.id, secret);
    assert.equal(confirmed.emailVerified, true);
  });

  test('the link page log-in verifies and logs in; a wrong password changes nothing', async () => {
    const { user, secret } = await unverified();
    await assert.rejects(
      logInWithConfirmationLink(domain().deps, {
        userId: user.id,
        token: secret,
        password: 'not the password',
      }),
      code('LOGIN_FAILED'),
    );
    assert.equal((await domain().deps.store.findUserById(user.id))?.emailVerified, false);
    const session = await logInWithConfirmationLink(domain().deps, {
      userId: user.id,
      token: secret,
      password: PASSWORD,
    });
    assert.ok(await authenticate(domain().deps, session.secret));
    assert.equal(session.user.emailVerified, true);
    assert.ok(await logIn(domain().deps, { email: 'v@example.com', password: PASSWORD }));
    await assert.rejects(
      logInWithConfirmationLink(domain().deps, { userId: user.id, token: secret, password: PASSWORD }),
      code('INVALID_TOKEN'),
      'the link is spent',
    );
  });
});
