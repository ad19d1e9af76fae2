import os from 'node:os';
import { Piscina } from 'piscina';
import type { HashJob } from './bcrypt-worker.js';

/** Hashes and compares passwords; the implementation decides where the CPU work runs. */
export interface PasswordHasher {
  hash(password: string, rounds: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * bcrypt in a pool of worker threads. bcryptjs's "async" API still runs on the event loop in
 * ~60 ms bursts; here the event loop only posts a message, so pages and token checks keep being
 * served during a flood of logins. One thread per core by default.
 */
export function createWorkerPasswordHasher(threads = os.availableParallelism()): PasswordHasher {
  const pool = new Piscina<HashJob, string | boolean>({
    filename: new URL('./bcrypt-worker.js', import.meta.url).href.replace(/\.js$/, extensionOfThisFile()),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  return {
    async hash(password, rounds) {
      return (await pool.run({ op: 'hash', password, rounds })) as string;
    },
    async compare(password, hash) {
      return (await pool.run({ op: 'compare', password, hash })) as boolean;
    },
    async close() {
      await pool.destroy();
    },
  };
}

/** `.ts` when run from source through tsx, `.js` when compiled. */
function extensionOfThisFile(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js';
}
