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
