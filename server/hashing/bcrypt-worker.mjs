// The hashing thread's code, in plain JavaScript on purpose: a worker runs it without the
// TypeScript loader, which would cost each thread ~17 MB and ~400 ms of start-up CPU (measured on
// the 2-core machines here), taken from the event loop's core while the server starts.
// The job and result shapes are HashJob and HashResult in password-hasher.ts.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { threadId } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/**
 * A flood of logins keeps every hashing thread busy; on a machine with as many threads as cores
 * the event loop then waits for a core behind them, and every page and token check slows down.
 * This thread (not the process) runs at nice 10, so the event loop's thread is served first and
 * hashing takes whatever CPU is left. On Linux /proc/thread-self names this thread's own id;
 * elsewhere the threads keep the process's priority.
 */
function lowerThisThreadsPriority() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: same priority as the event loop, as before.
  }
}
lowerThisThreadsPriority();

/**
 * Piscina calls the default export with each job. The sync API is right here: this thread exists
 * to be blocked, and bcryptjs's async API would only add callbacks. The thread id goes back with
 * the answer so the pool can show that the event loop's thread never ran bcrypt.
 *
 * @param {{ op: 'hash', password: string, rounds: number } | { op: 'compare', password: string, hash: string }} job
 * @returns {{ value: string | boolean, threadId: number }}
 */
export default function runHashJob(job) {
  const value =
    job.op === 'hash'
      ? bcrypt.hashSync(job.password, job.rounds)
      : bcrypt.compareSync(job.password, job.hash);
  return { value, threadId };
}
