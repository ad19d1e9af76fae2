import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../server/store/postgres/migrate.js';
import { MIGRATIONS } from '../../server/store/postgres/migrations.js';
import { createPostgresStore, type PostgresStore } from '../../server/store/postgres/postgres-store.js';
import { type PostgresServer, usePostgres } from '../helpers/postgres.js';
import { at, newToken, newUser, T0 } from './contract-fixtures.js';

// The Stage B records' guarantees that only show with several instances (stores, each with its
// own pool) on one database, and the step from a Stage A schema. The semantics every store shares
// are in the feature contract (postgres.test.ts).

let server: PostgresServer;
before(async () => {
  server = await usePostgres();
});
after(() => server.stop());

async function instances(
  t: { after(fn: () => Promise<void>): void },
  count: number,
): Promise<PostgresStore[]> {
  const database = await server.createDatabase();
  const stores: PostgresStore[] = [];
  for (let index = 0; index < count; index++) stores.push(await createPostgresStore(database.url));
  t.after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await database.drop();
  });
  return stores;
}

test('a TOTP step and a recovery code raced from three instances are each accepted once', async (t) => {
  const stores = await instances(t, 3);
  const ada = await stores[0]!.createUser(newUser('ada@example.com'));
  await stores[0]!.setTotp(ada.id, { secret: 'sealed', lastStep: 1, at: at(0) });
  await stores[0]!.setRecoveryCodes(ada.id, ['c1', 'c2']);
  const steps = await Promise.all(
    stores.flatMap((store) => [store.acceptTotpStep(ada.id, 2), store.acceptTotpStep(ada.id, 2)]),
  );
  assert.equal(steps.filter(Boolean).length, 1);
  const spends = await Promise.all(stores.map((store) => store.spendRecoveryCode(ada.id, 'c1')));
  assert.deepEqual(spends.sort(), [1, null, null]);
});

test('activity appended for one account from three instances at once keeps the cap', async (t) => {
  const stores = await instances(t, 3);
  const ada = await stores[0]!.createUser(newUser('ada@example.com'));
  await Promise.all(
    Array.from({ length: 30 }, (_, index) =>
      stores[index % 3]!.appendActivity(ada.id, [{ at: at(index).toISOString(), type: `e${index}` }], {
        keepAtMost: 5,
      }),
    ),
  );
  const kept = await stores[1]!.listActivity(ada.id, { limit: 50 });
  assert.equal(kept.length, 5);
  // Newest first, by id: ids only grow in the order the appends committed.
  assert.deepEqual(
    kept.map((entry) => entry.id),
    [...kept.map((entry) => entry.id)].sort((a, b) => b - a),
  );
});

test('the activity sweep run by three instances at once deletes each old entry once', async (t) => {
  const stores = await instances(t, 3);
  for (const name of ['ada', 'bob']) {
    const user = await stores[0]!.createUser(newUser(`${name}@example.com`));
    const entries = Array.from({ length: 20 }, (_, index) => ({
      at: at(index * 60).toISOString(),
      type: 'sign-in',
    }));
    await stores[0]!.appendActivity(user.id, entries, { keepAtMost: 100 });
  }
  const cutoff = at(10 * 60);
  const swept = await Promise.all(stores.map((store) => store.sweepActivity(cutoff)));
  const total = swept.reduce((sum, count) => sum + count, 0) + (await stores[2]!.sweepActivity(cutoff));
  assert.equal(total, 20);
});

test('an import on one instance while another signs people up: no id is given twice, none fails', async (t) => {
  const [importer, signUps] = await instances(t, 2);
  const rows = Array.from({ length: 50 }, (_, index) => ({
    ...newUser(`lb3-${index}@example.com`),
    id: index + 1,
    tokens: [newToken(`lb3-token-${index}`)],
  }));
  const [outcomes, created] = await Promise.all([
    importer!.importUsers(rows),
    Promise.all(
      Array.from({ length: 10 }, (_, index) => signUps!.createUser(newUser(`new-${index}@example.com`))),
    ),
  ]);
  const imported = outcomes.filter((row) => row.outcome === 'imported').length;
  // A sign-up that landed first holds its id; the import reports that row, never overwrites it.
  assert.equal(imported + outcomes.filter((row) => row.outcome === 'conflict').length, 50);
  const ids = [
    ...outcomes.filter((row) => row.outcome === 'imported').map((row) => row.id),
    ...created.map((user) => user.id),
  ];
  assert.equal(new Set(ids).size, ids.length);
  assert.ok((await signUps!.createUser(newUser('after@example.com'))).id > 50);
});

test('a database at the Stage A schema moves to Stage B with its users and tokens working', async (t) => {
  const database = await server.createDatabase();
  const pool = new pg.Pool({ connectionString: database.url });
  await migrate(
    pool,
    MIGRATIONS.filter((step) => step.version <= 2),
  );
  await pool.query(
    `INSERT INTO users (email, email_key, password_hash, email_verified, created, password_changed)
     VALUES ('ada@example.com', 'ada@example.com', 'x', true, $1, $1)`,
    [T0],
  );
  await pool.query(
    `INSERT INTO tokens (hash, user_id, kind, created, ttl, expires_at) VALUES ('old', 1, 'access', $1, 60, $1)`,
    [T0],
  );
  await pool.end();
  const store = await createPostgresStore(database.url);
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  const found = await store.findTokenWithUser('old');
  assert.deepEqual([found?.user.id, found?.user.disabled, found?.token.id], [1, false, undefined]);
  assert.deepEqual((await store.getTwoFactor(1)).recoveryCodeHashes, []);
  await store.issueToken(1, { ...newToken('ticket', 'mfa'), id: 'pub' });
  assert.equal(await store.revokeTokenById(1, 'pub'), true);
});
