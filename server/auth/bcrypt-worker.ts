import bcrypt from 'bcryptjs';

/** A job for the hashing pool: runs in a worker thread, never on the event loop. */
export type HashJob =
  | { op: 'hash'; password: string; rounds: number }
  | { op: 'compare'; password: string; hash: string };

/** Piscina calls the default export with each job. */
export default function runHashJob(job: HashJob): string | boolean {
  return job.op === 'hash'
    ? bcrypt.hashSync(job.password, job.rounds)
    : bcrypt.compareSync(job.password, job.hash);
}
