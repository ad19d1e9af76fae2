import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { PasswordHasher } from '../auth/password-hasher.js';
import { projectPath } from '../project-paths.js';

/** A job for the hashing pool: runs in a worker thread (bcrypt-worker.mjs), never on the event loop. */
export type HashJob =
  | { op: 'hash'; password: string; rounds: number }
  | { op: 'compare'; password: string; hash: string };

/** The answer, with the id of the thread that computed it (the event loop's thread is 0). */
export type HashResult = { value: string | boolean; threadId: number };

/** What the pool has done so far: jobs finished, and the threads (by id) that ran them. */
export type HashPoolStats = { jobs: number; threadIds: readonly number[] };

export type WorkerPasswordHasher = PasswordHasher & { stats(): HashPoolStats };

/**
 * bcrypt in a pool of worker threads. bcryptjs's "async" API still runs on the event loop in
 * ~60 ms bursts at cost 10; here the event loop only posts a message, so pages and token checks
 * keep being served during a flood of logins. One thread per core by default: more threads than
 * cores would only share the same CPUs, fewer would leave a core idle during a flood.
 */
export function createWorkerPasswordHasher(threads = os.availableParallelism()): WorkerPasswordHasher {
  const pool = new Piscina<HashJob, HashResult>({
    // The script's own file in server/, also when this code runs from the one-file build in dist/.
    filename: pathToFileURL(projectPath('server', 'hashing', 'bcrypt-worker.mjs')).href,
    // Plain JavaScript needs no loader: not inheriting `--import tsx` saves ~17 MB per thread.
    execArgv: [],
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let jobs = 0;
  const threadIds = new Set<number>();
  const run = async (job: HashJob) => {
    const result = await pool.run(job);
    jobs += 1;
    threadIds.add(result.threadId);
    return result.value;
  };
  return {
    async hash(password, rounds) {
      return (await run({ op: 'hash', password, rounds })) as string;
    },
    async compare(password, hash) {
      return (await run({ op: 'compare', password, hash })) as boolean;
    },
    stats() {
      return { jobs, threadIds: [...threadIds] };
    },
    async close() {
      await pool.destroy();
    },
  };
}
