import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { updateProfile } from '../../server/auth/account.js';
import { resendEmailChange } from '../../server/auth/account-centre.js';
import { logIn } from '../../server/auth/sessions.js';
import { confirmEmail } from '../../server/auth/verification.js';
import { code, domainPerTest, PASSWORD, secretFrom, verifiedUser } from '../helpers/domain.js';

describe('auth/account-centre: resending an email change (issue 14.4)', () => {
  const domain = domainPerTest();

  async function pendingChange(to: string) {
    await verifiedUser(domain(), 'ada@example.com');
    const login = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const user = await updateProfile(domain().deps, login, { email: to, currentPassword: PASSWORD });
    await domain().queuedMail();
    return { login, user };
  }

  test('a fresh link replaces the first one, which no longer confirms', async () => {
    const { login, user } = await pendingChange('new@example.com');
    const first = (await domain().queuedMail()).find((mail) => mail.kind === 'email-confirm');
    assert.ok(first);
    assert.equal(await resendEmailChange(domain().deps, user), true);
    const mails = await domain().queuedMail();
    const second = mails.filter((mail) => mail.kind === 'email-confirm').at(-1);
    assert.ok(second && second.link !== first.link);
    await assert.rejects(
      confirmEmail(domain().deps, login.user, user.id, secretFrom(first.link)),
      code('INVALID_TOKEN'),
    );
    const done = await confirmEmail(domain().deps, login.user, user.id, secretFrom(second.link));
    assert.equal(done.email, 'new@example.com');
  });

  test('a taken pending address gets its owner told again, never a link', async () => {
    await verifiedUser(domain(), 'taken@example.com');
    const { user } = await pendingChange('taken@example.com');
    const before = (await domain().queuedMail()).length;
    assert.equal(await resendEmailChange(domain().deps, user), true);
    const after = (await domain().queuedMail()).slice(before);
    assert.deepEqual(
      after.map((mail) => [mail.kind, mail.to]),
      [['email-taken-notice', 'taken@example.com']],
    );
  });

  test('nothing pending, or a change ended meanwhile: nothing is sent', async () => {
    await verifiedUser(domain(), 'bob@example.com');
    const bob = await logIn(domain().deps, { email: 'bob@example.com', password: PASSWORD });
    assert.equal(await resendEmailChange(domain().deps, bob.user), false);
    const { login, user } = await pendingChange('new@example.com');
    // Cancelled from another tab after this page was read: the stale record must not get a link.
    const ended = await updateProfile(
      domain().deps,
      { user, token: login.token },
      { email: 'ada@example.com' },
    );
    assert.equal(ended.pendingEmail, null);
    assert.equal(await resendEmailChange(domain().deps, user), false);
  });
});
