import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPostgresRateLimitBackend } from '../../server/middleware/rate-limit-shared.js';
import { createPostgresStore, type PostgresStore } from '../../server/store/postgres/postgres-store.js';
import { StoreUnavailableError } from '../../server/store/store.js';
import { type PostgresServer, startThrowawayPostgres, usePostgres } from '../helpers/postgres.js';

// The shared limiter lives in server/middleware/rate-limit-shared.ts; it is tested here because it
// needs the same real PostgreSQL (and the store's migrations, which create its table).

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

const rule = { points: 30, windowSeconds: 900, blockSeconds: 900 };

test('30 attempts spread over three instances spend one budget of 30, then every instance refuses', async (t) => {
  const counters = (await instances(t, 3)).map((store) =>
    createPostgresRateLimitBackend(store.pool)('login', rule),
  );
  const taken = await Promise.all(
    Array.from({ length: 30 }, (_, index) => counters[index % 3]!.take('ada@example.com')),
  );
  assert.ok(taken.every((result) => result.allowed));
  for (const counter of counters) {
    const refused = await counter.take('ada@example.com');
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= 900);
  }
  // Another key, and another rule with the same key, have budgets of their own.
  assert.equal((await counters[0]!.take('bob@example.com')).allowed, true);
  const [store] = await instances(t, 1);
  assert.equal(
    (await createPostgresRateLimitBackend(store!.pool)('signup', rule).take('ada@example.com')).allowed,
    true,
  );
});

test('an attempt given back on one instance is free again on another; clear forgets the key everywhere', async (t) => {
  const [a, b] = (await instances(t, 2)).map((store) =>
    createPostgresRateLimitBackend(store.pool)('login', { points: 2, windowSeconds: 900, blockSeconds: 900 }),
  );
  assert.deepEqual(await a!.take('k'), { allowed: true, count: 1 });
  assert.deepEqual(await b!.take('k'), { allowed: true, count: 2 });
  await a!.giveBack('k');
  assert.deepEqual(await b!.take('k'), { allowed: true, count: 2 });
  await b!.clear('k');
  assert.deepEqual(await a!.take('k'), { allowed: true, count: 1 });
});

test('a counter whose database went away is StoreUnavailableError (a 503), not an unthrottled attempt', async () => {
  const own = await startThrowawayPostgres();
  const database = await own.createDatabase();
  const store = await createPostgresStore(database.url, { connectTimeoutMs: 2_000 });
  try {
    const counter = createPostgresRateLimitBackend(store.pool)('login', rule);
    assert.equal((await counter.take('k')).allowed, true);
    await own.halt();
    await assert.rejects(counter.take('k'), StoreUnavailableError);
    await own.resume();
    assert.deepEqual(await counter.take('k'), { allowed: true, count: 2 });
  } finally {
    await store.close();
    await own.stop();
  }
});
