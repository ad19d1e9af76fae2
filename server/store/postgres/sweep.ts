import type pg from 'pg';
import { inTransaction } from './pool.js';

/**
 * Housekeeping every instance runs on a timer (the expired-token sweep, the activity sweep): only
 * the one that takes the advisory lock deletes, the others skip their turn instead of queueing on
 * the same rows; each deleted row is counted once. `lockKey` names the job within the database.
 * It runs as every transaction here does (inTransaction: a deadlock is retried, errors are the
 * store's), and the lock ends with the transaction.
 */
export async function sweepUnderLock(
  pool: pg.Pool,
  url: string,
  lockKey: number,
  sql: string,
  values: unknown[],
): Promise<number> {
  return inTransaction(pool, url, async (client) => {
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      lockKey,
    ]);
    if (!locked.rows[0]?.locked) return 0;
    return (await client.query(sql, values)).rowCount ?? 0;
  });
}
