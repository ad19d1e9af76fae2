import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDatabaseProbe } from '../server/health.js';

test('a ping that answers is "answers"; one that fails or never answers is "down" within the timeout', async () => {
  assert.equal(await createDatabaseProbe(async () => 1)(), true);
  assert.equal(await createDatabaseProbe(() => Promise.reject(new Error('ECONNREFUSED')))(), false);
  const started = Date.now();
  const hanging = createDatabaseProbe(() => new Promise(() => undefined), { timeoutMs: 100 });
  assert.equal(await hanging(), false);
  assert.ok(Date.now() - started < 1_000);
});

test('concurrent probes share one ping, and its answer stands for freshMs', async () => {
  let pings = 0;
  let clock = 0;
  let up = true;
  const probe = createDatabaseProbe(
    async () => {
      pings++;
      if (!up) throw new Error('down');
    },
    { freshMs: 1_000, now: () => clock },
  );
  assert.deepEqual(await Promise.all([probe(), probe(), probe()]), [true, true, true]);
  assert.equal(pings, 1);
  up = false;
  clock = 999;
  assert.equal(await probe(), true);
  assert.equal(pings, 1);
  clock = 1_000;
  assert.equal(await probe(), false);
  assert.equal(pings, 2);
});
