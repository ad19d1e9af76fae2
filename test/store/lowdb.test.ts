import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryStore } from '../../server/store/lowdb/memory.js';
import { createLowdbStore, writeSnapshotFile } from '../../server/store/lowdb.js';
import { StoreCorruptError } from '../../server/store/store.js';
import { runStoreContract, type StoreFactory } from './contract.js';
import { runFeatureContract } from './contract-features.js';
import { newUser } from './contract-fixtures.js';

const lowdbFactory = async (): Promise<StoreFactory> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-store-'));
  const file = path.join(dir, 'db.json');
  return {
    open: () => createLowdbStore(file),
    async reopen(store) {
      await store.close();
      return createLowdbStore(file);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};
// The in-memory store keeps nothing across a close: "reopen" hands back the same live store.
const memoryFactory = async (): Promise<StoreFactory> => ({
  open: async () => createMemoryStore(),
  reopen: async (store) => store,
  cleanup: async () => undefined,
});

runStoreContract('lowdb', lowdbFactory);
runStoreContract('in-memory', memoryFactory);
runFeatureContract('lowdb', lowdbFactory);
runFeatureContract('in-memory', memoryFactory);

const user = (fields: object) =>
  JSON.stringify({
    id: 1,
    email: 'a@example.com',
    emailKey: 'a@example.com',
    username: null,
    usernameKey: null,
    passwordHash: 'x',
    emailVerified: true,
    pendingEmail: null,
    pendingEmailKey: null,
    created: '2026-01-01T00:00:00.000Z',
    passwordChanged: '2026-01-01T00:00:00.000Z',
    version: 1,
    ...fields,
  });
const v2 = (users: string, tokens = '') =>
  `{"version":2,"seq":0,"nextUserId":2,"nextMailId":1,"users":[${users}],"tokens":[${tokens}],"mails":[]}`;

const corruptFiles: Array<[string, string]> = [
  ['not JSON', '{"version":2,"users":[{"id":'],
  ['not a store', '{"hello":"world"}'],
  ['a list', '[]'],
  ['of an unknown version', '{"version":3,"users":[],"tokens":[],"mails":[]}'],
  [
    'a version-1 user without a hash',
    '{"version":1,"users":[{"id":"u1","email":"a@example.com"}],"tokens":[],"mails":[]}',
  ],
  [
    'a version-1 token without a creation time (it would never expire)',
    '{"version":1,"users":[],"tokens":[{"hash":"h","userId":"u1","kind":"access","ttl":60}],"mails":[]}',
  ],
  ['a user whose id is a string', v2(user({ id: 'u1' }))],
  ['a user whose username is a number', v2(user({ username: 5 }))],
  ['a user without a version', v2(user({ version: undefined }))],
  [
    'a token without its expiry',
    v2(user({}), '{"hash":"h","userId":1,"kind":"access","created":"2026-01-01T00:00:00.000Z","ttl":60}'),
  ],
  ['a snapshot without its id counter', '{"version":2,"seq":0,"users":[],"tokens":[],"mails":[]}'],
];
for (const [name, content] of corruptFiles) {
  test(`a file that is ${name} is refused at start and left untouched`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-corrupt-'));
    const file = path.join(dir, 'db.json');
    await writeFile(file, content);
    await assert.rejects(createLowdbStore(file), StoreCorruptError);
    assert.equal(await readFile(file, 'utf8'), content);
    assert.deepEqual(await readdir(dir), ['db.json'], 'no lock or other file left behind');
    await rm(dir, { recursive: true, force: true });
  });
}

test('a refused record is named in the message: its type and the field that is wrong', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-corrupt-'));
  const file = path.join(dir, 'db.json');
  const cases: Array<[string, string]> = [
    [v2(user({ username: 5 })), 'a user has a missing or malformed "username"'],
    [v2(user({ version: undefined })), 'a user has a missing or malformed "version"'],
    [v2(user({ created: 'yesterday' })), 'a user has a missing or malformed "created"'],
    [
      v2(user({}), '{"hash":"h","userId":1,"kind":"access","created":"2026-01-01T00:00:00.000Z","ttl":60}'),
      'a token has a missing or malformed "expiresAt"',
    ],
    [v2('7'), 'a user is not an object'],
  ];
  for (const [content, why] of cases) {
    await writeFile(file, content);
    await assert.rejects(createLowdbStore(file), (error: Error) => {
      assert.ok(error instanceof StoreCorruptError);
      assert.ok(error.message.includes(`(${why})`), error.message);
      return true;
    });
  }
  await rm(dir, { recursive: true, force: true });
});

test('a missing file starts an empty store in a folder it creates, and DB_FILE exists at once', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-new-'));
  const file = path.join(dir, 'nested', 'db.json');
  const store = await createLowdbStore(file);
  assert.equal(await store.findUserById(1), null);
  const data = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(data, {
    version: 2,
    seq: 0,
    nextUserId: 1,
    nextMailId: 1,
    nextActivityId: 1,
    users: [],
    tokens: [],
    mails: [],
    passkeys: [],
    identities: [],
    activity: [],
  });
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('the token sweep reads expiries a file holds in any ISO form, not only the one the store writes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-sweep-'));
  const file = path.join(dir, 'db.json');
  const created = '2026-01-01T00:00:00.000Z';
  const user = { ...newUser('sweep@example.com'), id: 1, pendingEmail: null, pendingEmailKey: null };
  const token = (hash: string, expiresAt: string) => ({
    hash,
    userId: 1,
    kind: 'access' as const,
    created,
    ttl: 60,
    expiresAt,
  });
  await writeSnapshotFile(file, {
    users: [{ ...user, passwordChanged: created, version: 1 }],
    tokens: [
      token('a'.repeat(64), '2026-01-01T00:01:00.000Z'),
      // The same instant without milliseconds, and an hour later in another zone: text order
      // would put these wrong, so they are parsed.
      token('b'.repeat(64), '2026-01-01T00:01:00Z'),
      token('c'.repeat(64), '2026-01-01T02:01:00+01:00'),
    ],
    mails: [],
  });
  const store = await createLowdbStore(file);
  assert.equal(
    await store.sweepExpiredTokens(new Date('2026-01-01T00:01:00.000Z')),
    0,
    'valid at its expiry',
  );
  assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T00:01:00.001Z')), 2);
  assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T01:01:00.000Z')), 0);
  assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T01:01:00.001Z')), 1);
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
