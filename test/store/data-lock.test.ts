import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLowdbStore, StoreLockedError } from '../../server/store/lowdb.js';

test('of several opens racing on one file exactly one gets it; the lock holds the PID and goes on close', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-lock-race-'));
  const file = path.join(dir, 'db.json');
  const opens = await Promise.allSettled(Array.from({ length: 5 }, () => createLowdbStore(file)));
  const opened = opens.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  assert.equal(opened.length, 1);
  for (const result of opens) {
    if (result.status === 'rejected') assert.ok(result.reason instanceof StoreLockedError);
  }
  assert.equal((await readFile(`${file}.lock`, 'utf8')).trim(), String(process.pid));
  await opened[0]?.close();
  const again = await createLowdbStore(file);
  await again.close();
  await rm(dir, { recursive: true, force: true });
});

test('a lock naming a live process is refused with the file and the PID in the message', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-lock-live-'));
  const file = path.join(dir, 'db.json');
  // PID 1 always runs; it is not this process.
  await writeFile(`${file}.lock`, '1\n');
  await assert.rejects(createLowdbStore(file), (error: unknown) => {
    assert.ok(error instanceof StoreLockedError);
    assert.equal(error.pid, 1);
    assert.match(
      error.message,
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by process 1`),
    );
    return true;
  });
  assert.equal(await readFile(`${file}.lock`, 'utf8'), '1\n', 'a live lock is left alone');
  await rm(dir, { recursive: true, force: true });
});

test('an empty lock (its writer died before writing its PID) is stale and taken over', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-lock-empty-'));
  const file = path.join(dir, 'db.json');
  await writeFile(`${file}.lock`, '');
  const store = await createLowdbStore(file);
  assert.equal((await readFile(`${file}.lock`, 'utf8')).trim(), String(process.pid));
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
