import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { isMainThread, threadId } from 'node:worker_threads';
import { verifyAgainstDummy } from '../../server/auth/passwords.js';
import { createWorkerPasswordHasher } from '../../server/hashing/worker-pool.js';

const hasher = createWorkerPasswordHasher(2);
after(() => hasher.close());

test('hash, compare and the dummy compare for unknown users all run in worker threads', async () => {
  assert.ok(isMainThread);
  const hash = await hasher.hash('correct horse battery staple', 4);
  assert.equal(await hasher.compare('correct horse battery staple', hash), true);
  assert.equal(await hasher.compare('wrong horse battery staple', hash), false);
  assert.equal(await verifyAgainstDummy(hasher, 'anything at all', 4), false);

  const stats = hasher.stats();
  assert.equal(stats.jobs, 4, 'every one of the four went through the pool');
  assert.ok(stats.threadIds.length > 0);
  for (const id of stats.threadIds) assert.notEqual(id, threadId, 'the event loop thread ran bcrypt');
});

test('hashes the pool makes are real bcrypt hashes at the asked cost', async () => {
  const hash = await hasher.hash('correct horse battery staple', 5);
  assert.match(hash, /^\$2[aby]\$05\$[./A-Za-z0-9]{53}$/);
});

test('concurrent jobs spread over the pool instead of queuing behind one thread', async () => {
  const pool = createWorkerPasswordHasher(2);
  await Promise.all(Array.from({ length: 8 }, (_, index) => pool.hash(`password number ${index}`, 6)));
  const stats = pool.stats();
  await pool.close();
  assert.equal(stats.jobs, 8);
  assert.equal(stats.threadIds.length, 2);
});

test('no module on the main thread imports bcryptjs: only the worker file does', async () => {
  const serverDir = path.resolve('server');
  const files = (await readdir(serverDir, { recursive: true })).filter((name) => /\.(ts|mjs|js)$/.test(name));
  const importers: string[] = [];
  for (const name of files) {
    const code = await readFile(path.join(serverDir, name), 'utf8');
    if (/from\s+['"]bcryptjs['"]|import\(\s*['"]bcryptjs['"]\s*\)/.test(code)) importers.push(name);
  }
  assert.deepEqual(importers, [path.join('hashing', 'bcrypt-worker.mjs')]);
});
