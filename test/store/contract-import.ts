import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeatureStore, ImportedUser, Store } from '../../server/store/store.js';
import { newToken, newUser } from './contract-fixtures.js';

type Context = { store: Store & FeatureStore };

const row = (id: number, email: string, username: string | null = null): ImportedUser => ({
  ...newUser(email, username),
  id,
  emailVerified: true,
  tokens: [newToken(`lb3-${id}`, 'access', 1209600)],
});

/** The operator's part of the contract (issue 18): listing users and importing them with their ids. */
export function importContract(context: Context, reopen: () => Promise<Store & FeatureStore>) {
  test('listUsers: by id, filtered by a case-blind search and by unverified, paged after an id', async () => {
    const { store } = context;
    await store.createUser(newUser('ada@example.com', 'Ada'));
    await store.createUser({ ...newUser('bob@example.org'), emailVerified: true });
    await store.createUser(newUser('carol@example.com', 'adaline'));
    const ids = async (query: Parameters<FeatureStore['listUsers']>[0]) =>
      (await store.listUsers(query)).map((user) => user.id);
    assert.deepEqual(await ids({ limit: 10 }), [1, 2, 3]);
    assert.deepEqual(await ids({ search: 'ADA', limit: 10 }), [1, 3]);
    assert.deepEqual(await ids({ search: 'example.org', limit: 10 }), [2]);
    assert.deepEqual(await ids({ unverified: true, limit: 10 }), [1, 3]);
    assert.deepEqual(await ids({ after: 1, limit: 1 }), [2]);
  });

  test('importUsers keeps ids, tokens and hashes, moves the sequence past them, and is idempotent', async () => {
    const { store } = context;
    await store.createUser(newUser('taken@example.com', 'taken'));
    const rows = [
      row(7, 'ada@example.com', 'ada'),
      row(3, 'bob@example.com'),
      row(1, 'someone-else@example.com'),
      row(9, 'TAKEN@example.com'),
      row(10, 'new@example.com', 'TAKEN'),
    ];
    const outcomes = await store.importUsers(rows, { nextId: 12 });
    assert.deepEqual(outcomes, [
      { id: 7, outcome: 'imported' },
      { id: 3, outcome: 'imported' },
      { id: 1, outcome: 'conflict', field: 'id' },
      { id: 9, outcome: 'conflict', field: 'email' },
      { id: 10, outcome: 'conflict', field: 'username' },
    ]);
    await reopen();
    const ada = await context.store.findTokenWithUser('lb3-7');
    assert.deepEqual([ada?.user.id, ada?.user.emailVerified, ada?.user.version], [7, true, 1]);
    assert.equal(ada?.token.ttl, 1209600);
    const again = await context.store.importUsers([
      { ...row(7, 'ada@example.com', 'ada'), tokens: [newToken('lb3-7'), newToken('lb3-7b')] },
    ]);
    assert.deepEqual(again, [{ id: 7, outcome: 'unchanged' }]);
    assert.deepEqual((await context.store.listUserTokens(7)).map((token) => token.hash).sort(), [
      'lb3-7',
      'lb3-7b',
    ]);
    assert.equal((await context.store.createUser(newUser('next@example.com'))).id, 12);
    assert.deepEqual(await context.store.importUsers([]), []);
  });
}
