import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type Migration, migrate } from '../../server/store/postgres/migrate.js';
import { StoreCorruptError } from '../../server/store/store.js';
import { type PostgresServer, usePostgres } from '../helpers/postgres.js';

let server: PostgresServer;
before(async () => {
  server = await usePostgres();
});
after(() => server.stop());

/** A fresh database with a pool on it, dropped when the test ends. */
async function freshPool(t: { after(fn: () => Promise<void>): void }): Promise<() => pg.Pool> {
  const database = await server.createDatabase();
  const pools: pg.Pool[] = [];
  t.after(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
  });
  return () => {
    const pool = new pg.Pool({ connectionString: database.url });
    // The drop (WITH FORCE) ends any backend still open: expected here, never an uncaught error.
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
}

// Plain CREATE TABLE (no IF NOT EXISTS): applying a step twice would fail loudly.
const steps: Migration[] = [
  { version: 1, name: 'people', sql: 'CREATE TABLE people (id bigint PRIMARY KEY)' },
  {
    version: 2,
    name: 'pets',
    sql: 'CREATE TABLE pets (id bigint PRIMARY KEY, owner bigint REFERENCES people)',
  },
];

test('applies every step once, in order, and a second run applies nothing', async (t) => {
  const pool = (await freshPool(t))();
  assert.deepEqual(await migrate(pool, [steps[1]!, steps[0]!]), [1, 2]);
  assert.deepEqual(await migrate(pool, steps), []);
  const rows = await pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
  assert.deepEqual(rows.rows, [
    { version: 1, name: 'people' },
    { version: 2, name: 'pets' },
  ]);
});

test('five instances starting together apply each step exactly once', async (t) => {
  const open = await freshPool(t);
  const runs = await Promise.all(Array.from({ length: 5 }, () => migrate(open(), steps)));
  assert.deepEqual(runs.flat().sort(), [1, 2]);
});

test('a step that fails leaves nothing of itself and is not recorded', async (t) => {
  const pool = (await freshPool(t))();
  const broken: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE toys (id bigint); SELECT 1/0' };
  await assert.rejects(migrate(pool, [...steps, broken]), /division by zero/);
  const tables = await pool.query("SELECT 1 FROM pg_tables WHERE tablename = 'toys'");
  assert.equal(tables.rowCount, 0);
  const versions = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    versions.rows.map((row: { version: number }) => row.version),
    [1, 2],
  );
  // The lock went with the failed run: the next start is not blocked.
  assert.deepEqual(await migrate(pool, steps), []);
});

test('a database migrated by a newer release is refused with one clear line', async (t) => {
  const pool = (await freshPool(t))();
  await migrate(pool, steps);
  await assert.rejects(migrate(pool, [steps[0]!]), (error: unknown) => {
    assert.ok(error instanceof StoreCorruptError);
    assert.match(error.message, /migration 2, which this version of the app does not know/);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
});

test('an applied step whose SQL was edited afterwards is refused', async (t) => {
  const pool = (await freshPool(t))();
  await migrate(pool, steps);
  const edited = [steps[0]!, { ...steps[1]!, sql: 'CREATE TABLE pets (id bigint PRIMARY KEY)' }];
  await assert.rejects(migrate(pool, edited), (error: unknown) => {
    assert.ok(error instanceof StoreCorruptError);
    assert.match(error.message, /migration 2 \(pets\) differs/);
    return true;
  });
});
