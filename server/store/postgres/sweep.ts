import type pg from 'pg';
import { holdConnection, storeError } from './pool.js';

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
  const held = await holdConnection(pool, url);
  try {
    await held.client.query('BEGIN');
    const locked = await held.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [lockKey],
    );
    const swept = locked.rows[0]?.locked ? await held.client.query(sql, values) : { rowCount: 0 };
    await held.client.query('COMMIT');
    return swept.rowCount ?? 0;
  } catch (error) {
    await held.client.query('ROLLBACK').catch(held.fail);
    throw storeError(error, url);
  } finally {
    held.release();
  }
}
