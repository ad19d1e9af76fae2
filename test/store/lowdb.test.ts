import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLowdbStore } from '../../server/store/lowdb.js';
import { StoreCorruptError } from '../../server/store/store.js';
import { runStoreContract } from './contract.js';

runStoreContract('lowdb', async () => {
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
});

const corruptFiles: Array<[string, string]> = [
  ['not JSON', '{"version":1,"users":[{"id":'],
  ['not a store', '{"hello":"world"}'],
  [
    'a user without a hash',
    '{"version":1,"users":[{"id":"u1","email":"a@example.com"}],"tokens":[],"mails":[]}',
  ],
  [
    'a user whose username is a number',
    '{"version":1,"users":[{"id":"u1","email":"a@example.com","username":5,"passwordHash":"x","emailVerified":true,"created":"2026-01-01T00:00:00.000Z","passwordChanged":"2026-01-01T00:00:00.000Z"}],"tokens":[],"mails":[]}',
  ],
  [
    'a token without a creation time (it would never expire)',
    '{"version":1,"users":[],"tokens":[{"hash":"h","userId":"u1","kind":"access","ttl":60}],"mails":[]}',
  ],
];
for (const [name, content] of corruptFiles) {
  test(`a file that is ${name} is refused at start and left untouched`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-corrupt-'));
    const file = path.join(dir, 'db.json');
    await writeFile(file, content);
    await assert.rejects(createLowdbStore(file), StoreCorruptError);
    assert.equal(await readFile(file, 'utf8'), content);
    await rm(dir, { recursive: true, force: true });
  });
}

test('a missing file starts an empty store in a folder it creates', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-new-'));
  const store = await createLowdbStore(path.join(dir, 'nested', 'db.json'));
  assert.equal(await store.findUserById('anyone'), null);
  await store.commit([]);
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
