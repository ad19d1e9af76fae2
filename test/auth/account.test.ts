import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cancelEmailChange, deleteAccount, updateProfile } from '../../server/auth/account.js';
import { requestPasswordReset } from '../../server/auth/password-reset.js';
import { logIn } from '../../server/auth/sessions.js';
import { confirmEmail } from '../../server/auth/verification.js';
import { code, domainPerTest, PASSWORD, secretFrom, verifiedUser } from '../helpers/domain.js';

describe('auth/account', () => {
  const domain = domainPerTest();

  async function session(email = 'ada@example.com') {
    await verifiedUser(domain(), email);
    return logIn(domain().deps, { email, password: PASSWORD });
  }

  test('a stolen old token cannot change the email or delete the account (issue 10.1)', async () => {
    const login = await session();
    domain().clock.advance(10 * 60 + 1);
    const proof = { user: login.user, token: login.token };
    await assert.rejects(
      updateProfile(domain().deps, proof, { email: 'thief@example.com' }),
      code('REAUTHENTICATION_REQUIRED'),
    );
    await assert.rejects(deleteAccount(domain().deps, proof, {}), code('REAUTHENTICATION_REQUIRED'));
    await assert.rejects(
      deleteAccount(domain().deps, proof, { currentPassword: 'not the password' }),
      code('REAUTHENTICATION_REQUIRED', { currentPassword: ['invalid'] }),
    );
    assert.ok(await domain().deps.store.findUserById(login.user.id), 'nothing deleted');
    assert.equal(
      (await updateProfile(domain().deps, proof, { username: 'renamed' })).username,
      'renamed',
      'a username needs no password',
    );
  });

  test('a wrong currentPassword fails even with a fresh token', async () => {
    const login = await session();
    await assert.rejects(
      updateProfile(domain().deps, login, { email: 'new@example.com', currentPassword: 'wrong password' }),
      code('REAUTHENTICATION_REQUIRED', { currentPassword: ['invalid'] }),
    );
  });

  test('a new email stays pending until its link is confirmed; the old address is told with a cancel link', async () => {
    const login = await session();
    domain().clock.advance(3600);
    const updated = await updateProfile(domain().deps, login, {
      email: 'Ada@New.example',
      currentPassword: PASSWORD,
    });
    assert.equal(updated.email, 'ada@example.com', 'the old email still works');
    assert.equal(updated.pendingEmail, 'Ada@New.example');
    assert.ok(await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD }));
    await requestPasswordReset(domain().deps, 'ada@example.com');
    const mails = await domain().queuedMail();
    const confirm = mails.find((m) => m.kind === 'email-confirm');
    const notice = mails.find((m) => m.kind === 'email-change-notice');
    assert.equal(confirm?.to, 'Ada@New.example');
    assert.equal(notice?.to, 'ada@example.com');
    assert.match(notice?.text ?? '', /Ada@New\.example/);
    assert.ok(
      mails.some((m) => m.kind === 'reset' && m.to === 'ada@example.com'),
      'reset still goes to the old one',
    );
    const done = await confirmEmail(domain().deps, login.user, login.user.id, secretFrom(confirm!.link));
    assert.equal(done.email, 'Ada@New.example');
    assert.equal(done.pendingEmail, null);
    assert.ok(await logIn(domain().deps, { email: 'ada@new.example', password: PASSWORD }));
    await assert.rejects(
      cancelEmailChange(domain().deps, login.user.id, secretFrom(notice!.link)),
      code('INVALID_TOKEN'),
      'confirming spends the cancel link',
    );
  });

  test('the cancel link ends the pending change', async () => {
    const login = await session();
    await updateProfile(domain().deps, login, { email: 'new@example.com' });
    const mails = await domain().queuedMail();
    const notice = mails.find((m) => m.kind === 'email-change-notice')!;
    assert.ok(notice.link.startsWith('https://users.example.test/account/email/cancel?uid=1&token='));
    const cancelled = await cancelEmailChange(domain().deps, login.user.id, secretFrom(notice.link));
    assert.equal(cancelled.pendingEmail, null);
    const confirm = mails.find((m) => m.kind === 'email-confirm')!;
    await assert.rejects(
      confirmEmail(domain().deps, login.user, login.user.id, secretFrom(confirm.link)),
      code('INVALID_TOKEN'),
    );
  });

  test('a change to a taken address answers as for a free one and tells its owner (issue 10.3)', async () => {
    await verifiedUser(domain(), 'owner@example.com');
    const login = await session();
    const before = (await domain().queuedMail()).length;
    const toTaken = await updateProfile(domain().deps, login, {
      email: 'OWNER@example.com',
      username: 'not valid',
    }).catch((e: unknown) => e);
    const toFree = await updateProfile(domain().deps, login, {
      email: 'free@example.com',
      username: 'not valid',
    }).catch((e: unknown) => e);
    assert.deepEqual(toTaken, toFree, 'the same error, whoever owns the address');
    assert.ok(code('VALIDATION_ERROR', { username: ['format'] })(toTaken));
    const taken = await updateProfile(domain().deps, login, { email: 'OWNER@example.com' });
    assert.equal(taken.pendingEmail, 'OWNER@example.com');
    const mails = (await domain().queuedMail()).slice(before);
    assert.deepEqual(mails.map((m) => [m.kind, m.to]).sort(), [
      ['email-change-notice', 'ada@example.com'],
      ['email-taken-notice', 'owner@example.com'],
    ]);
  });

  test('deleting with a fresh token or the password removes the account', async () => {
    const login = await session();
    await deleteAccount(domain().deps, login, {});
    assert.equal(await domain().deps.store.findUserById(login.user.id), null);
    const other = await session('b@example.com');
    domain().clock.advance(3600);
    await deleteAccount(domain().deps, other, { currentPassword: PASSWORD });
    assert.equal(await domain().deps.store.findUserById(other.user.id), null);
  });
});
