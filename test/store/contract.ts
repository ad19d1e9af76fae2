import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Store } from '../../server/store/store.js';
import { at, conflict, HASH, newToken, newUser, type StoreFactory } from './contract-fixtures.js';
import { mailContract } from './contract-mail.js';
import { raceContract } from './contract-races.js';
import { writesContract } from './contract-writes.js';

export type { StoreFactory } from './contract-fixtures.js';

/** The suite's shared state: the store under test, replaced by `reopen`. */
export type ContractContext = { store: Store; factory: StoreFactory };

/**
 * The suite every Store must pass (lowdb, the in-memory store, PostgreSQL): look-ups, ids in
 * order, uniqueness, every named write and its guards, the mail queue's claims, sweeping,
 * durability across a reopen, and the races a shared store must win.
 */
export function runStoreContract(name: string, makeFactory: () => Promise<StoreFactory>) {
  describe(`Store contract: ${name}`, () => {
    const context = {} as ContractContext;
    beforeEach(async () => {
      context.factory = await makeFactory();
      context.store = await context.factory.open();
    });
    afterEach(async () => {
      await context.store.close();
      await context.factory.cleanup();
    });

    test('users get ids 1, 2, 3 in order and are found by id, email key and username key', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('Ada@Example.com', 'Ada'));
      const bob = await store.createUser(newUser('bob@example.com'));
      assert.equal(ada.id, 1);
      assert.equal(bob.id, 2);
      assert.equal(ada.version, 1);
      assert.equal(ada.passwordChanged, ada.created);
      assert.equal(ada.pendingEmail, null);
      assert.equal((await store.findUserById(1))?.email, 'Ada@Example.com');
      assert.equal((await store.findUserByEmailKey('ada@example.com'))?.id, 1);
      assert.equal((await store.findUserByUsernameKey('ada'))?.id, 1);
      assert.equal(await store.findUserById(3), null);
      assert.equal(await store.findUserByEmailKey('missing@example.com'), null);
      assert.equal(await store.findUserByUsernameKey('missing'), null);
    });

    test('a taken email or username key is refused, applies nothing and uses up no id', async () => {
      const { store } = context;
      await store.createUser(newUser('ada@example.com', 'ada'));
      await assert.rejects(
        store.createUser(newUser('ADA@example.com'), () => ({ issue: [newToken('orphan')] })),
        conflict('email'),
      );
      await assert.rejects(store.createUser(newUser('other@example.com', 'ADA')), conflict('username'));
      assert.equal(await store.findTokenWithUser('orphan'), null);
      assert.equal((await store.createUser(newUser('next@example.com'))).id, 2);
    });

    test('a new user is created with its first tokens and mail, which see its id', async () => {
      const { store } = context;
      const created = await store.createUser(newUser('ada@example.com'), (id) => ({
        issue: [newToken(`verify-${id}`, 'verify')],
        mail: [{ ...newMailFor(id), tokenHash: `verify-${id}` }],
      }));
      const found = await store.findTokenWithUser('verify-1');
      assert.equal(found?.user.id, created.id);
      assert.equal(found?.token.userId, 1);
      assert.equal(found?.token.kind, 'verify');
      const [mail] = await store.claimDueMail(at(1), at(60), 10);
      assert.equal(mail?.userId, 1);
      assert.equal(mail?.params.uid, '1');
    });

    test('a token is found with its user in one call, expired or not; tokens are listed oldest first', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('ada@example.com'));
      await store.issueToken(ada.id, newToken('later', 'access', 60, 10));
      await store.issueToken(ada.id, newToken('earlier', 'access', 1, 0));
      const found = await store.findTokenWithUser('earlier');
      assert.equal(found?.user.email, 'ada@example.com');
      assert.equal(found?.token.expiresAt, at(1).toISOString());
      assert.deepEqual(
        (await store.listUserTokens(ada.id)).map((token) => token.hash),
        ['earlier', 'later'],
      );
      assert.equal(await store.findTokenWithUser('missing'), null);
    });

    test('sweeps tokens whose lifetime has ended, and only those', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('a@example.com'));
      await store.issueToken(ada.id, newToken('short', 'access', 60));
      await store.issueToken(ada.id, newToken('long', 'access', 3600));
      assert.equal(await store.sweepExpiredTokens(at(60)), 0, 'still valid at exactly its expiry');
      assert.equal(await store.sweepExpiredTokens(at(61)), 1);
      assert.equal(await store.findTokenWithUser('short'), null);
      assert.ok(await store.findTokenWithUser('long'));
    });

    test('everything acknowledged is there after a reopen, and ids carry on', async () => {
      const ada = await context.store.createUser(newUser('a@example.com', 'ada'));
      const gone = await context.store.createUser(newUser('gone@example.com'));
      await context.store.issueToken(ada.id, newToken('a1'));
      await context.store.setPassword(ada.id, { passwordHash: `${HASH}x`, at: at(5) });
      await context.store.enqueueMail([newMailFor(ada.id)]);
      await context.store.deleteUser(gone.id);
      context.store = await context.factory.reopen(context.store);
      const { store } = context;
      const again = await store.findUserByEmailKey('a@example.com');
      assert.equal(again?.passwordHash, `${HASH}x`);
      assert.equal(again?.version, 2);
      assert.equal((await store.findUserByUsernameKey('ada'))?.id, ada.id);
      assert.equal((await store.findTokenWithUser('a1'))?.user.id, ada.id);
      assert.equal((await store.mailQueueStats()).depth, 1);
      assert.equal((await store.createUser(newUser('c@example.com'))).id, 3, 'a deleted id is not reused');
    });

    test('concurrent writes are all durable once each has resolved', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          context.store.createUser(newUser(`user${index}@example.com`)),
        ),
      );
      context.store = await context.factory.reopen(context.store);
      for (let index = 0; index < 50; index++) {
        assert.ok(
          await context.store.findUserByEmailKey(`user${index}@example.com`),
          `user ${index} survived`,
        );
      }
      const ids = await Promise.all(
        Array.from({ length: 50 }, async (_, index) => (await context.store.findUserById(index + 1))?.id),
      );
      assert.deepEqual(
        ids,
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
    });

    writesContract(context);
    mailContract(context);
    raceContract(context);
  });
}

function newMailFor(userId: number) {
  return {
    kind: 'verify',
    priority: 0,
    to: 'ada@example.com',
    toKey: 'ada@example.com',
    userId,
    sealedLink: 'v1.sealed',
    tokenHash: null,
    params: { uid: String(userId) },
    created: '2026-01-01T00:00:00.000Z',
  };
}
