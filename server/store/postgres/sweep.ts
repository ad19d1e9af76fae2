import type pg from 'pg';
import { storeError } from './pool.js';

/**
 * Housekeeping every instance runs on a timer (the expired-token sweep, the activity sweep): only
 * the one that takes the advisory lock deletes, the others skip their turn instead of queueing on
 * the same rows; each deleted row is counted once. `lockKey` names the job within the database.
 */
export async function sweepUnderLock(
  pool: pg.Pool,
  url: string,
  lockKey: number,
  sql: string,
  values: unknown[],
): Promise<number> {
  const client = await pool.connect().catch((error: unknown) => {
    throw storeError(error, url);
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      lockKey,
    ]);
    const swept = locked.rows[0]?.locked ? await client.query(sql, values) : { rowCount: 0 };
    await client.query('COMMIT');
    return swept.rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      // The connection itself failed: the pool must not hand it out again.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw storeError(error, url);
  } finally {
    client.release(broken);
  }
}
