// The hashing thread's code, in plain JavaScript on purpose: a worker runs it without the
// TypeScript loader, which would cost each thread ~17 MB and ~400 ms of start-up CPU (measured on
// the 2-core machines here), taken from the event loop's core while the server starts.
// The job and result shapes are HashJob and HashResult in password-hasher.ts.
import { threadId } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

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
