import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ClaimedMail, Store } from '../store.js';
import { insertMail } from './effects.js';
import { inTransaction, queryOnce } from './pool.js';
import { type MailRow, toMail } from './rows.js';

type MailQueue = Pick<Store, 'enqueueMail' | 'claimDueMail' | 'finishMail' | 'retryMail' | 'mailQueueStats'>;

/**
 * The durable queue shared by every instance. A claim is a row-level lease: `FOR UPDATE SKIP
 * LOCKED` lets two instances claiming at the same moment take different rows instead of waiting
 * for (or both taking) the same one; `claimed_until` lets another instance take over the mail of
 * one that died mid-send; finish and retry check the claim, so a late sender changes nothing.
 */
export function createMailQueue(pool: pg.Pool, url: string): MailQueue {
  return {
    enqueueMail: (mails) => inTransaction(pool, url, (client) => insertMail(client, null, mails)),

    claimDueMail: (now, until, limit) =>
      inTransaction(pool, url, async (client) => {
        const claim = randomUUID();
        const claimed: ClaimedMail[] = [];
        const taken: string[] = [];
        // One mail per recipient per call: each step takes the next due mail in queue order whose
        // recipient has none yet. The (priority, next_attempt, id) index gives the order; a flooded
        // address costs index entries skipped, never a sort, and never holds up the others.
        // SKIP LOCKED: a row another instance is claiming right now is left to it.
        while (claimed.length < limit) {
          const result = await client.query<MailRow>(
            `UPDATE mail SET claim = $3, claimed_until = $2
             WHERE id = (
               SELECT id FROM mail
               WHERE next_attempt <= $1 AND (claim IS NULL OR claimed_until <= $1)
                 AND recipient_key <> ALL($4::text[])
               ORDER BY priority, next_attempt, id
               LIMIT 1
               FOR UPDATE SKIP LOCKED)
             RETURNING *`,
            [now.toISOString(), until.toISOString(), claim, taken],
          );
          const row = result.rows[0];
          if (!row) break;
          claimed.push(toMail(row) as ClaimedMail);
          taken.push(row.recipient_key);
        }
        return claimed;
      }),

    async finishMail(id, claim) {
      const result = await queryOnce(pool, url, 'DELETE FROM mail WHERE id = $1 AND claim = $2', [id, claim]);
      return result.rowCount === 1;
    },

    async retryMail(id, claim, retry) {
      const result = await queryOnce(
        pool,
        url,
        `UPDATE mail SET attempts = attempts + 1, next_attempt = $3, last_error = $4, claim = NULL, claimed_until = NULL
         WHERE id = $1 AND claim = $2`,
        [id, claim, retry.nextAttempt.toISOString(), retry.error],
      );
      return result.rowCount === 1;
    },

    async mailQueueStats() {
      const result = await queryOnce<{ depth: string; oldest: Date | null }>(
        pool,
        url,
        'SELECT count(*) AS depth, min(created) AS oldest FROM mail',
      );
      const row = result.rows[0]!;
      return { depth: Number(row.depth), oldestCreated: row.oldest?.toISOString() ?? null };
    },
  };
}
