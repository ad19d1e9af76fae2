import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createPostgresStore, type PostgresStore } from '../../server/store/postgres/postgres-store.js';
import {
  expiryOf,
  type NewMail,
  type NewUser,
  StoreConflictError,
  StoreUnavailableError,
} from '../../server/store/store.js';
import { type PostgresServer, startThrowawayPostgres, usePostgres } from '../helpers/postgres.js';

// PostgreSQL-only behaviour: several instances (stores) on one database, the database going away,
// the schema's cascades. What every Store must do is in the contract suite (postgres.test.ts).

let server: PostgresServer;
before(async () => {
  server = await usePostgres();
});
after(() => server.stop());

/** `count` stores (instances) on one fresh database, closed and dropped when the test ends. */
async function instances(t: { after(fn: () => Promise<void>): void }, count = 1): Promise<PostgresStore[]> {
  const database = await server.createDatabase();
  const stores: PostgresStore[] = [];
  for (let index = 0; index < count; index++) stores.push(await createPostgresStore(database.url));
  t.after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await database.drop();
  });
  return stores;
}

const at = '2026-01-01T00:00:00.000Z';
const newUser = (name: string): NewUser => ({
  email: `${name}@example.com`,
  emailKey: `${name}@example.com`,
  username: null,
  usernameKey: null,
  passwordHash: '$2b$04$abcdefghijklmnopqrstuu5JrDQp0N4xm3m1W1q0QyG4I6xkq3Jxq',
  emailVerified: false,
  created: at,
});
const newMail = (to: string, priority = 0): NewMail => ({
  kind: 'verify',
  priority,
  to,
  toKey: to,
  sealedLink: null,
  tokenHash: null,
  params: {},
  created: at,
});

test('a database that is down at start is one clear line naming where, never the password', async () => {
  await assert.rejects(
    createPostgresStore('postgresql://kum:s3cret@127.0.0.1:1/kum', { connectTimeoutMs: 2_000 }),
    (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /^cannot reach the database at 127\.0\.0\.1:1\/kum: /);
      assert.ok(!error.message.includes('\n'));
      assert.ok(!error.message.includes('s3cret'));
      return true;
    },
  );
});

test('a database that goes away gives StoreUnavailableError, and the store recovers when it is back', async () => {
  const own = await startThrowawayPostgres();
  const database = await own.createDatabase();
  const store = await createPostgresStore(database.url, { connectTimeoutMs: 2_000 });
  try {
    const ada = await store.createUser(newUser('ada'));
    await own.halt();
    await assert.rejects(store.findUserById(ada.id), StoreUnavailableError);
    await assert.rejects(store.createUser(newUser('bob')), StoreUnavailableError);
    await assert.rejects(store.claimDueMail(new Date(at), new Date(at), 5), StoreUnavailableError);
    await own.resume();
    assert.equal((await store.findUserById(ada.id))?.email, 'ada@example.com');
    assert.equal((await store.createUser(newUser('bob'))).id, 2);
  } finally {
    await store.close();
    await own.stop();
  }
});

test('deleting a user deletes their tokens and queued mail in the database itself', async (t) => {
  const [store] = await instances(t);
  const ada = await store!.createUser(newUser('ada'), () => ({
    issue: [{ hash: 'h1', kind: 'verify', created: at, ttl: 60, expiresAt: expiryOf(at, 60) }],
    mail: [newMail('ada@example.com')],
  }));
  assert.equal(await store!.deleteUser(ada.id), true);
  const counts = await store!.pool.query<{ tokens: string; mail: string }>(
    'SELECT (SELECT count(*) FROM tokens) AS tokens, (SELECT count(*) FROM mail) AS mail',
  );
  assert.deepEqual(counts.rows[0], { tokens: '0', mail: '0' });
});

test('ids are whole numbers from 1, and a refused sign-up in order burns none', async (t) => {
  const [store] = await instances(t);
  assert.equal((await store!.createUser(newUser('a'))).id, 1);
  await assert.rejects(store!.createUser(newUser('a')), StoreConflictError);
  assert.equal((await store!.createUser(newUser('b'))).id, 2);
});

test('three instances claiming at once never get the same mail, and all of it is claimed', async (t) => {
  const stores = await instances(t, 3);
  await stores[0]!.enqueueMail(Array.from({ length: 30 }, (_, index) => newMail(`r${index}@example.com`)));
  const now = new Date('2026-01-01T00:00:01.000Z');
  const until = new Date('2026-01-01T00:01:00.000Z');
  const claimed = (await Promise.all(stores.map((store) => store.claimDueMail(now, until, 10)))).flat();
  const claimedAgain = (await Promise.all(stores.map((store) => store.claimDueMail(now, until, 10)))).flat();
  const ids = [...claimed, ...claimedAgain].map((mail) => mail.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, 30);
});

test('a claim held by an instance that died is taken over after its lease, and the late sender changes nothing', async (t) => {
  const [dying, survivor] = await instances(t, 2);
  await dying!.enqueueMail([newMail('ada@example.com')]);
  const [first] = await dying!.claimDueMail(new Date(at), new Date('2026-01-01T00:01:00.000Z'), 5);
  assert.ok(first);
  assert.deepEqual(await survivor!.claimDueMail(new Date('2026-01-01T00:00:30.000Z'), new Date(at), 5), []);
  const [taken] = await survivor!.claimDueMail(
    new Date('2026-01-01T00:01:00.000Z'),
    new Date('2026-01-01T00:02:00.000Z'),
    5,
  );
  assert.equal(taken?.id, first.id);
  assert.equal(await dying!.finishMail(first.id, first.claim), false);
  assert.equal(
    await dying!.retryMail(first.id, first.claim, { nextAttempt: new Date(at), error: 'late' }),
    false,
  );
  assert.equal(await survivor!.finishMail(taken!.id, taken!.claim), true);
  assert.equal((await survivor!.mailQueueStats()).depth, 0);
});

test('the expired-token sweep run by three instances at once deletes each expired token once', async (t) => {
  const stores = await instances(t, 3);
  const ada = await stores[0]!.createUser(newUser('ada'));
  for (let index = 0; index < 40; index++) {
    const ttl = index < 30 ? 60 : 3_600;
    await stores[0]!.issueToken(ada.id, {
      hash: `h${index}`,
      kind: 'access',
      created: at,
      ttl,
      expiresAt: expiryOf(at, ttl),
    });
  }
  const later = new Date('2026-01-01T00:10:00.000Z');
  const swept = await Promise.all(stores.map((store) => store.sweepExpiredTokens(later)));
  // Whichever instance took the lock swept; a later turn finds nothing left.
  const total = swept.reduce((sum, count) => sum + count, 0) + (await stores[1]!.sweepExpiredTokens(later));
  assert.equal(total, 30);
  assert.equal((await stores[2]!.listUserTokens(ada.id)).length, 10);
});

test('a statement that runs past the statement timeout is an unavailable store, not a hang', async (t) => {
  const database = await server.createDatabase();
  const store = await createPostgresStore(database.url, { statementTimeoutMs: 200 });
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  const ada = await store.createUser(newUser('ada'));
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [ada.id]);
  await assert.rejects(store.markEmailVerified(ada.id), StoreUnavailableError);
  await blocker.query('ROLLBACK');
  await blocker.end();
  assert.equal((await store.markEmailVerified(ada.id)).emailVerified, true);
});

test('connections ended by the server mid-transaction are 503s, never a crash, and the store recovers', async (t) => {
  const database = await server.createDatabase();
  const store = await createPostgresStore(database.url);
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  const ada = await store.createUser(newUser('ada'));
  const killer = new pg.Client({ connectionString: database.url });
  await killer.connect();
  // Between two statements of a transaction a held connection has no query to fail: pg then
  // emits 'error' on the client itself, which must not reach the process as an uncaught error.
  let killing = true;
  const kills = (async () => {
    while (killing) {
      await killer.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, index) =>
      index % 2 === 0
        ? store.markEmailVerified(ada.id)
        : store.appendActivity(ada.id, [{ at, type: 'x' }], { keepAtMost: 5 }),
    ),
  );
  killing = false;
  await kills;
  await killer.end();
  for (const outcome of outcomes)
    if (outcome.status === 'rejected')
      assert.ok(outcome.reason instanceof StoreUnavailableError, String(outcome.reason));
  assert.ok(
    outcomes.some((outcome) => outcome.status === 'rejected'),
    'some transactions were cut off',
  );
  assert.equal((await store.markEmailVerified(ada.id)).emailVerified, true);
});
