import { threadId } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** A job for the hashing pool: runs in a worker thread, never on the event loop. */
export type HashJob =
  | { op: 'hash'; password: string; rounds: number }
  | { op: 'compare'; password: string; hash: string };

/**
 * The answer, with the id of the thread that computed it: the pool counts them, so a test can
 * prove the event loop's thread (id 0) never runs bcrypt.
 */
export type HashResult = { value: string | boolean; threadId: number };

/**
 * Piscina calls the default export with each job. The sync API is right here: this thread exists
 * to be blocked, and bcryptjs's async API would only add callbacks.
 */
export default function runHashJob(job: HashJob): HashResult {
  const value =
    job.op === 'hash'
      ? bcrypt.hashSync(job.password, job.rounds)
      : bcrypt.compareSync(job.password, job.hash);
  return { value, threadId };
}
