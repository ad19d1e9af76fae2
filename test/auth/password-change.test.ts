import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { updateProfile } from '../../server/auth/account.js';
import { changePassword } from '../../server/auth/password-change.js';
import { authenticate, logIn } from '../../server/auth/sessions.js';
import { code, domainPerTest, PASSWORD, verifiedUser } from '../helpers/domain.js';

describe('auth/password-change', () => {
  const domain = domainPerTest();

  test('checks the old one, keeps or rotates the current token, revokes the rest', async () => {
    const user = await verifiedUser(domain());
    const here = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const elsewhere = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    await assert.rejects(
      changePassword(domain().deps, user, 'wrong password', 'a new long password', { keep: here.token }),
      code('INVALID_PASSWORD'),
    );
    const kept = await changePassword(domain().deps, user, PASSWORD, 'a new long password', {
      keep: here.token,
    });
    assert.equal(kept.session, null);
    assert.ok(await authenticate(domain().deps, here.secret));
    assert.equal(await authenticate(domain().deps, elsewhere.secret), null);
    const rotated = await changePassword(
      domain().deps,
      kept.user,
      'a new long password',
      'yet another password',
      {
        rotate: here.token,
      },
    );
    assert.ok(rotated.session);
    assert.equal(await authenticate(domain().deps, here.secret), null, 'the old token is replaced');
    assert.ok(await authenticate(domain().deps, rotated.session.secret));
  });

  test('a login racing a password change never leaves a token the change meant to end', async () => {
    const user = await verifiedUser(domain(), 'racing@example.com');
    const here = await logIn(domain().deps, { email: 'racing@example.com', password: PASSWORD });
    for (let round = 0; round < 5; round++) {
      const current = (await domain().deps.store.findUserById(user.id))!;
      const oldPassword = round === 0 ? PASSWORD : `new password number ${round - 1}`;
      const [login] = await Promise.allSettled([
        logIn(domain().deps, { email: 'racing@example.com', password: oldPassword }),
        changePassword(domain().deps, current, oldPassword, `new password number ${round}`, {
          keep: here.token,
        }),
      ]);
      if (login.status === 'fulfilled') {
        assert.equal(await authenticate(domain().deps, login.value.secret), null, `round ${round}`);
      } else {
        assert.ok(code('LOGIN_FAILED')(login.reason));
      }
    }
  });

  test('a profile change made while a password change hashes is kept', async () => {
    const user = await verifiedUser(domain(), 'keep@example.com');
    const here = await logIn(domain().deps, { email: 'keep@example.com', password: PASSWORD });
    const changing = changePassword(domain().deps, user, PASSWORD, 'a new long password', {
      keep: here.token,
    });
    await updateProfile(domain().deps, { user, token: here.token }, { username: 'renamed' });
    const { user: after } = await changing;
    assert.equal(after.username, 'renamed');
    assert.ok(await logIn(domain().deps, { username: 'renamed', password: 'a new long password' }));
  });
});
