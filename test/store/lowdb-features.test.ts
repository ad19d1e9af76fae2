import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createLowdbStore } from '../../server/store/lowdb.js';
import { StoreCorruptError } from '../../server/store/store.js';
import { HASH, newToken, newUser, T0 } from './contract-fixtures.js';

let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kum-features-'));
  file = path.join(dir, 'db.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const stageAUser = {
  id: 4,
  email: 'ada@example.com',
  emailKey: 'ada@example.com',
  username: null,
  usernameKey: null,
  passwordHash: HASH,
  emailVerified: true,
  pendingEmail: null,
  pendingEmailKey: null,
  created: T0,
  passwordChanged: T0,
  version: 3,
};

test('a file written by Stage A (no passkeys, identities or activity) loads and gains them', async () => {
  const token = { ...newToken('stage-a'), userId: 4 };
  await writeFile(
    file,
    `${JSON.stringify({ version: 2, seq: 0, nextUserId: 5, nextMailId: 1, users: [stageAUser], tokens: [token], mails: [] })}\n`,
  );
  const store = await createLowdbStore(file);
  const found = await store.findTokenWithUser('stage-a');
  assert.deepEqual([found?.user.id, found?.user.disabled, found?.token.id], [4, undefined, undefined]);
  assert.deepEqual((await store.getTwoFactor(4)).recoveryCodeHashes, []);
  await store.appendActivity(4, [{ at: T0, type: 'sign-in' }], { keepAtMost: 10 });
  assert.equal((await store.createUser(newUser('bob@example.com'))).id, 5);
  await store.compact();
  await store.close();
  const data = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(
    [data.activity.length, data.nextActivityId, data.passkeys, data.identities],
    [1, 2, [], []],
  );
});

test('every Stage B record survives a compaction into the snapshot and a restart from it', async () => {
  const store = await createLowdbStore(file);
  const ada = await store.createUser(newUser('ada@example.com'));
  await store.issueToken(ada.id, { ...newToken('t1'), id: 'pub', session: 'api', ip: null, userAgent: null });
  await store.linkIdentity(ada.id, {
    providerId: 'p',
    issuer: 'https://id.example.com',
    subject: 's',
    email: null,
    linkedAt: T0,
  });
  await store.addPasskey(ada.id, {
    credentialId: 'c',
    publicKey: 'k',
    counter: 0,
    transports: [],
    deviceType: 'singleDevice',
    backedUp: false,
    name: 'Key',
    created: T0,
    lastUsed: null,
  });
  await store.setTotp(ada.id, { secret: 'sealed', lastStep: 1, at: new Date(T0) });
  await store.setDisabled(ada.id, true, {
    activity: { entries: [{ at: T0, type: 'disabled' }], keepAtMost: 5 },
  });
  await store.compact();
  await store.close();
  const again = await createLowdbStore(file);
  assert.equal((await again.findTokenWithUser('t1'))?.token.session, 'api');
  assert.equal(await again.revokeTokenById(ada.id, 'pub'), true);
  assert.equal((await again.findUserByIdentity('https://id.example.com', 's'))?.user.disabled, true);
  assert.equal((await again.findPasskeyWithUser('c'))?.passkey.name, 'Key');
  assert.equal((await again.getTwoFactor(ada.id)).totpSecret, 'sealed');
  assert.equal((await again.listActivity(ada.id, { limit: 5 }))[0]?.type, 'disabled');
  await again.close();
});

test('a damaged Stage B record in the snapshot is refused at start, the file untouched', async () => {
  const text = `${JSON.stringify({
    version: 2,
    seq: 0,
    nextUserId: 5,
    nextMailId: 1,
    users: [stageAUser],
    tokens: [],
    mails: [],
    passkeys: [{ credentialId: 'c', userId: 4, counter: 'lots' }],
  })}\n`;
  await writeFile(file, text);
  await assert.rejects(createLowdbStore(file), StoreCorruptError);
  assert.equal(await readFile(file, 'utf8'), text);
});
