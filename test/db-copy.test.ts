import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createLowdbStore } from '../server/store/lowdb.js';
import { createPostgresStore } from '../server/store/postgres/postgres-store.js';
import { expiryOf } from '../server/store/store.js';
import { type PostgresServer, usePostgres } from './helpers/postgres.js';

const run = promisify(execFile);
let server: PostgresServer;
before(async () => {
  server = await usePostgres();
});
after(() => server.stop());

const created = new Date(Date.now() - 60_000).toISOString();

test('db:copy moves 1,000 users with their live tokens and queued mail, once, and refuses a non-empty target', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-copy-'));
  const file = path.join(dir, 'db.json');
  const database = await server.createDatabase();
  t.after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const lowdb = await createLowdbStore(file);
  for (let index = 1; index <= 1000; index++) {
    await lowdb.createUser(
      {
        email: `user${index}@example.com`,
        emailKey: `user${index}@example.com`,
        username: index % 2 ? `name${index}` : null,
        usernameKey: index % 2 ? `name${index}` : null,
        passwordHash: `$2b$04$hash${index}`,
        emailVerified: index % 3 === 0,
        created,
      },
      () => ({
        issue: [
          { hash: `live${index}`, kind: 'access', created, ttl: 3600, expiresAt: expiryOf(created, 3600) },
          { hash: `dead${index}`, kind: 'access', created, ttl: 1, expiresAt: expiryOf(created, 1) },
        ],
        mail:
          index <= 10
            ? [
                {
                  kind: 'verify',
                  priority: 0,
                  to: `user${index}@example.com`,
                  toKey: `user${index}@example.com`,
                  sealedLink: 'v1.sealed',
                  tokenHash: `live${index}`,
                  params: {},
                  created,
                },
              ]
            : [],
      }),
    );
  }
  await lowdb.deleteUser(1000);
  await lowdb.close();

  const copy = (...extra: string[]) =>
    run(process.execPath, [
      '--import',
      'tsx',
      'scripts/db-copy.ts',
      '--from',
      file,
      '--to',
      database.url,
      ...extra,
    ]);
  const first = await copy();
  assert.match(
    first.stdout,
    /copied 999 users, 999 live tokens, 10 queued emails \(999 expired tokens left behind\)/,
  );

  await assert.rejects(copy(), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /^db:copy: the target database is not empty: pass --allow-non-empty/);
    return true;
  });
  const again = await copy('--allow-non-empty');
  assert.match(again.stdout, /copied 0 users, 0 live tokens, 0 queued emails/);

  const store = await createPostgresStore(database.url);
  try {
    const ada = await store.findUserByUsernameKey('name1');
    assert.equal(ada?.id, 1);
    assert.equal(ada?.email, 'user1@example.com');
    assert.equal((await store.findUserById(999))?.emailVerified, true);
    assert.equal(await store.findUserById(1000), null);
    const found = await store.findTokenWithUser('live500');
    assert.equal(found?.user.id, 500);
    assert.equal(await store.findTokenWithUser('dead500'), null);
    assert.equal((await store.mailQueueStats()).depth, 10);
    // Ids carry on past the file's, deleted user 1000 included: nobody is handed an old id.
    const next = await store.createUser({
      email: 'new@example.com',
      emailKey: 'new@example.com',
      username: null,
      usernameKey: null,
      passwordHash: 'x',
      emailVerified: false,
      created,
    });
    assert.equal(next.id, 1001);
  } finally {
    await store.close();
  }
});

test('db:copy keeps what users have beyond the account: second factors, passkeys, identities, activity, sessions, disabled', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-copy-'));
  const file = path.join(dir, 'db.json');
  const database = await server.createDatabase();
  t.after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });
  const newUser = (name: string) => ({
    email: `${name}@example.com`,
    emailKey: `${name}@example.com`,
    username: null,
    usernameKey: null,
    passwordHash: '$2b$04$hash',
    emailVerified: true,
    created,
  });
  const at = new Date(created);
  const lowdb = await createLowdbStore(file);
  const ada = await lowdb.createUser(newUser('ada'));
  const bob = await lowdb.createUser(newUser('bob'));
  await lowdb.setTotp(ada.id, { secret: 'sealed-secret', lastStep: 42, at });
  await lowdb.setRecoveryCodes(ada.id, ['code-hash-1', 'code-hash-2']);
  await lowdb.setUserHandle(ada.id, 'handle-ada');
  await lowdb.addPasskey(ada.id, {
    credentialId: 'cred-1',
    publicKey: 'pk',
    counter: 7,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    name: 'Laptop',
    created,
    lastUsed: null,
  });
  await lowdb.linkIdentity(ada.id, {
    providerId: 'acme',
    issuer: 'https://id.example.com',
    subject: 'sub-1',
    email: 'ada@acme.example',
    linkedAt: created,
  });
  await lowdb.issueToken(ada.id, {
    hash: 'session-hash',
    kind: 'access',
    created,
    ttl: 3600,
    expiresAt: expiryOf(created, 3600),
    id: 'public-id-1',
    ip: '203.0.113.9',
    userAgent: 'Firefox',
    session: 'browser',
    lastUsed: created,
  });
  const entries = await lowdb.appendActivity(ada.id, [{ type: 'login', method: 'password', at: created }], {
    keepAtMost: 100,
  });
  await lowdb.setDisabled(bob.id, true);
  await lowdb.close();

  const first = await run(process.execPath, [
    '--import',
    'tsx',
    'scripts/db-copy.ts',
    '--from',
    file,
    '--to',
    database.url,
  ]);
  assert.match(first.stdout, /1 passkeys, 1 linked identities, 1 activity entries/);

  const store = await createPostgresStore(database.url);
  try {
    assert.deepEqual(
      await store.getTwoFactor(ada.id),
      await (async () => {
        const copy = await createLowdbStore(file);
        try {
          return await copy.getTwoFactor(ada.id);
        } finally {
          await copy.close();
        }
      })(),
    );
    assert.equal((await store.getTwoFactor(ada.id)).totpSecret, 'sealed-secret');
    assert.equal((await store.findPasskeyWithUser('cred-1'))?.passkey.counter, 7);
    assert.equal((await store.findUserByIdentity('https://id.example.com', 'sub-1'))?.user.id, ada.id);
    const activity = await store.listActivity(ada.id, { limit: 10 });
    assert.deepEqual(
      activity.map((entry) => [entry.id, entry.type]),
      [[entries[0]!.id, 'login']],
    );
    const token = await store.findTokenWithUser('session-hash');
    assert.equal(token?.token.id, 'public-id-1');
    assert.equal(token?.token.session, 'browser');
    assert.equal((await store.findUserById(bob.id))?.disabled, true);
    // New entries continue after the copied ids.
    const [next] = await store.appendActivity(ada.id, [{ type: 'logout', at: created }], { keepAtMost: 100 });
    assert.ok(next!.id > entries[0]!.id);
  } finally {
    await store.close();
  }
});
