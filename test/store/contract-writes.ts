import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContractContext } from './contract.js';
import { at, conflict, HASH, newMail, newToken, newUser } from './contract-fixtures.js';

/** The named user writes, their effects and guards. */
export function writesContract(context: ContractContext) {
  test('setPassword: bumps the version, spends its token, revokes, marks verified; a stale version changes nothing', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.issueToken(ada.id, newToken('reset1', 'reset'));
    await store.issueToken(ada.id, newToken('session', 'access'));
    const reset = await store.setPassword(
      ada.id,
      { passwordHash: 'new-hash', at: at(30), emailVerified: true },
      { guard: { version: ada.version }, spend: { hash: 'reset1', kind: 'reset' }, revoke: {} },
    );
    assert.equal(reset.version, ada.version + 1);
    assert.equal(reset.passwordHash, 'new-hash');
    assert.equal(reset.passwordChanged, at(30).toISOString());
    assert.equal(reset.emailVerified, true);
    assert.deepEqual(await store.listUserTokens(ada.id), []);
    await assert.rejects(
      store.setPassword(ada.id, { passwordHash: 'other', at: at(31) }, { guard: { version: ada.version } }),
      conflict('user'),
    );
    await assert.rejects(
      store.setPassword(
        ada.id,
        { passwordHash: 'other', at: at(31) },
        { spend: { hash: 'reset1', kind: 'reset' } },
      ),
      conflict('token'),
    );
    assert.equal((await store.findUserById(ada.id))?.passwordHash, 'new-hash');
    await assert.rejects(store.setPassword(99, { passwordHash: 'x', at: at(1) }), conflict('user'));
  });

  test('a token is spent only by its own user and kind; a refused write applies none of its effects', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    const bob = await store.createUser(newUser('bob@example.com'));
    await store.issueToken(ada.id, newToken('ada-verify', 'verify'));
    await assert.rejects(
      store.markEmailVerified(bob.id, { spend: { hash: 'ada-verify', kind: 'verify' } }),
      conflict('token'),
    );
    await assert.rejects(
      store.markEmailVerified(ada.id, {
        spend: { hash: 'ada-verify', kind: 'reset' },
        issue: [newToken('should-not-exist')],
        mail: [newMail('ada@example.com')],
      }),
      conflict('token'),
    );
    assert.equal(await store.findTokenWithUser('should-not-exist'), null);
    assert.equal((await store.mailQueueStats()).depth, 0);
    assert.equal((await store.findUserById(bob.id))?.emailVerified, false);
    const verified = await store.markEmailVerified(ada.id, {
      spend: { hash: 'ada-verify', kind: 'verify' },
      revoke: { kinds: ['verify'] },
    });
    assert.equal(verified.emailVerified, true);
    assert.equal(await store.findTokenWithUser('ada-verify'), null);
  });

  test('a login guard on the password hash holds through a profile change and fails after a password change', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.setProfile(ada.id, { username: { username: 'Ada', usernameKey: 'ada' } });
    const token = await store.issueToken(ada.id, newToken('login1'), { guard: { passwordHash: HASH } });
    assert.equal(token.userId, ada.id);
    await store.setPassword(ada.id, { passwordHash: 'changed', at: at(5) });
    await assert.rejects(
      store.issueToken(ada.id, newToken('login2'), { guard: { passwordHash: HASH } }),
      conflict('user'),
    );
    assert.equal(await store.findTokenWithUser('login2'), null);
  });

  test('issueToken with keepAtMost deletes the oldest tokens of that kind first, and no other kind', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.issueToken(ada.id, newToken('reset', 'reset', 60, 0));
    for (let index = 1; index <= 3; index++)
      await store.issueToken(ada.id, newToken(`a${index}`, 'access', 600, index));
    await store.issueToken(ada.id, newToken('a4', 'access', 600, 4), { keepAtMost: 2 });
    assert.deepEqual(
      (await store.listUserTokens(ada.id)).map((token) => token.hash),
      ['reset', 'a3', 'a4'],
    );
  });

  test('revokeTokens picks by kind, keeps one, or takes listed hashes of that user only', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    const bob = await store.createUser(newUser('bob@example.com'));
    for (const hash of ['a1', 'a2', 'a3']) await store.issueToken(ada.id, newToken(hash));
    await store.issueToken(ada.id, newToken('r1', 'reset'));
    await store.issueToken(bob.id, newToken('b1'));
    assert.equal(await store.revokeTokens(ada.id, { kinds: ['reset'] }), 1);
    assert.equal(
      await store.revokeTokens(ada.id, { hashes: ['a1', 'b1'] }),
      1,
      "bob's token is not ada's to revoke",
    );
    assert.ok(await store.findTokenWithUser('b1'));
    assert.equal(await store.revokeTokens(ada.id, { except: 'a3' }), 1);
    assert.deepEqual(
      (await store.listUserTokens(ada.id)).map((token) => token.hash),
      ['a3'],
    );
    assert.equal((await store.spendToken('a3'))?.hash, 'a3');
    assert.equal(await store.spendToken('a3'), null, 'spent once');
  });

  test('setProfile moves the username index and refuses a taken one; a pending email is not "taken"', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com', 'ada'));
    const bob = await store.createUser(newUser('bob@example.com', 'bob'));
    await assert.rejects(
      store.setProfile(ada.id, { username: { username: 'BOB', usernameKey: 'bob' } }),
      conflict('username'),
    );
    const renamed = await store.setProfile(ada.id, {
      username: { username: 'Lovelace', usernameKey: 'lovelace' },
    });
    assert.equal(renamed.version, 2);
    assert.equal(await store.findUserByUsernameKey('ada'), null);
    assert.equal((await store.findUserByUsernameKey('lovelace'))?.id, ada.id);
    const pending = await store.setProfile(bob.id, {
      pendingEmail: { email: 'New@example.com', emailKey: 'new@example.com' },
    });
    assert.equal(pending.pendingEmail, 'New@example.com');
    assert.equal(pending.email, 'bob@example.com', 'the old address stays in use');
    assert.equal(await store.findUserByEmailKey('new@example.com'), null);
    const cleared = await store.setProfile(ada.id, { username: null });
    assert.equal(cleared.username, null);
    assert.equal(await store.findUserByUsernameKey('lovelace'), null);
  });

  test('confirmPendingEmail makes the pending address the email, unless it was taken meanwhile', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    await assert.rejects(store.confirmPendingEmail(ada.id), conflict('user'), 'nothing pending');
    await store.setProfile(ada.id, {
      pendingEmail: { email: 'New@example.com', emailKey: 'new@example.com' },
    });
    await store.issueToken(ada.id, newToken('confirm', 'email-confirm'));
    const taker = await store.createUser(newUser('new@example.com'));
    await assert.rejects(
      store.confirmPendingEmail(ada.id, { spend: { hash: 'confirm', kind: 'email-confirm' } }),
      conflict('email'),
    );
    assert.ok(await store.findTokenWithUser('confirm'), 'the refused write spent nothing');
    await store.deleteUser(taker.id);
    const moved = await store.confirmPendingEmail(ada.id, {
      spend: { hash: 'confirm', kind: 'email-confirm' },
    });
    assert.equal(moved.email, 'New@example.com');
    assert.equal(moved.emailVerified, true);
    assert.equal(moved.pendingEmail, null);
    assert.equal(await store.findUserByEmailKey('ada@example.com'), null);
    assert.equal((await store.findUserByEmailKey('new@example.com'))?.id, ada.id);
  });

  test('deleteUser deletes the user, its tokens and its queued mail; a second delete finds nothing', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com', 'ada'));
    await store.issueToken(ada.id, newToken('a1'), { mail: [newMail('ada@example.com')] });
    await store.enqueueMail([{ ...newMail('other@example.com'), userId: null }]);
    await assert.rejects(store.deleteUser(ada.id, { guard: { version: 7 } }), conflict('user'));
    assert.equal(await store.deleteUser(ada.id), true);
    assert.equal(await store.deleteUser(ada.id), false);
    assert.equal(await store.findUserById(ada.id), null);
    assert.equal(await store.findUserByEmailKey('ada@example.com'), null);
    assert.equal(await store.findUserByUsernameKey('ada'), null);
    assert.equal(await store.findTokenWithUser('a1'), null);
    assert.equal((await store.mailQueueStats()).depth, 1, "only the mail that was not the user's is left");
  });

  test('deleteUser with a mail effect queues that mail, with no user, in the same write; it outlives the cascade', async () => {
    const ada = await context.store.createUser(newUser('ada@example.com', 'ada'));
    await context.store.issueToken(ada.id, newToken('a1'), { mail: [newMail('ada@example.com')] });
    const notice = { ...newMail('ada@example.com', undefined, 1), kind: 'account-deleted' };
    await assert.rejects(
      context.store.deleteUser(ada.id, { guard: { version: 7 }, mail: [notice] }),
      conflict('user'),
    );
    assert.equal((await context.store.mailQueueStats()).depth, 1, 'a refused delete queues nothing');
    assert.equal(await context.store.deleteUser(ada.id, { mail: [notice] }), true);
    assert.equal(await context.store.deleteUser(ada.id, { mail: [notice] }), false);
    // Across a reopen too: the journal (or the commit) holds the delete and the notice together.
    context.store = await context.factory.reopen(context.store);
    const { store } = context;
    assert.equal(await store.findUserById(ada.id), null);
    assert.equal(await store.findTokenWithUser('a1'), null);
    assert.equal(
      (await store.mailQueueStats()).depth,
      1,
      "the user's other mail went; a second delete queued none",
    );
    const claimed = await store.claimDueMail(at(1), at(60), 10);
    assert.equal(claimed.length, 1);
    const [mail] = claimed;
    assert.equal(mail?.kind, 'account-deleted');
    assert.equal(mail?.userId, null);
    assert.equal(mail?.tokenHash, null);
    assert.equal(mail?.sealedLink, notice.sealedLink);
    assert.equal(await store.finishMail(mail!.id, mail!.claim), true);
    assert.equal((await store.mailQueueStats()).depth, 0);
    // The address is free again at once, and the notice never belonged to the new account.
    assert.equal((await store.createUser(newUser('ada@example.com', 'ada'))).emailVerified, false);
  });
}
