/**
 * The lowdb store alone, on a copy of the file the server left, in the bench process: one
 * compaction (the only time the whole snapshot is rewritten) while commits keep arriving, then a
 * sweep with a clock a year ahead so every token is expired.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createLowdbStore } from '../server/store/lowdb.js';

export type StoreFigures = {
  compactionMs: number;
  compactionLoopMaxMs: number;
  commitsDuringCompaction: number;
  sweptTokens: number;
  sweepMs: number;
  sweepLoopMaxMs: number;
};

export async function measureLowdbAlone(dbFile: string, dir: string): Promise<StoreFigures> {
  const copy = path.join(dir, 'store-copy.json');
  await cp(dbFile, copy);
  const store = await createLowdbStore(copy);
  // Let the garbage of the start-up parse be collected before measuring pauses.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const passwordHash = '$2b$10$abcdefghijklmnopqrstuu5JrDQp0N4xm3m1W1q0QyG4I6xkq3Jxq';
  let stop = false;
  let commits = 0;
  // A failing write must reach the caller, not crash the process before it is awaited.
  let writeError: unknown = null;
  const writer = (async () => {
    while (!stop) {
      const id = crypto.randomUUID();
      const email = `${id}@store.example.com`;
      const created = new Date().toISOString();
      const user = { email, emailKey: email, username: null, usernameKey: null, created };
      await store.createUser({ ...user, passwordHash, emailVerified: false });
      commits += 1;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })().catch((error: unknown) => {
    writeError = error;
  });
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let started = performance.now();
  await store.compact();
  const compactionMs = performance.now() - started;
  stop = true;
  await writer;
  if (writeError) {
    await store.close();
    throw writeError;
  }
  histogram.disable();
  const compactionLoopMaxMs = histogram.max / 1e6;

  histogram.reset();
  histogram.enable();
  started = performance.now();
  const sweptTokens = await store.sweepExpiredTokens(new Date(Date.now() + 365 * 86_400_000));
  const sweepMs = performance.now() - started;
  histogram.disable();
  await store.close();
  return {
    compactionMs,
    compactionLoopMaxMs,
    commitsDuringCompaction: commits,
    sweptTokens,
    sweepMs,
    sweepLoopMaxMs: histogram.max / 1e6,
  };
}
