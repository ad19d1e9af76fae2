import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ClaimedMail, Store } from '../store.js';
import { insertMail } from './effects.js';
import { inTransaction, queryOnce } from './pool.js';
import { type MailRow, toMail } from './rows.js';

type MailQueue = Pick<Store, 'enqueueMail' | 'claimDueMail' | 'finishMail' | 'retryMail' | 'mailQueueStats'>;

/**
 * How many due rows one claim looks at per mail it may hand out: enough to find other recipients
 * behind one who has many queued, without reading the whole queue.
 */
const LOOK_AHEAD = 20;

/**
 * The durable queue shared by every instance. A claim is a row-level lease: `FOR UPDATE SKIP
 * LOCKED` lets two instances claiming at the same moment take different rows instead of waiting
 * for (or both taking) the same one; `claimed_until` lets another instance take over the mail of
 * one that died mid-send; finish and retry check the claim, so a late sender changes nothing.
 */
export function createMailQueue(pool: pg.Pool, url: string): MailQueue {
  return {
    enqueueMail: (mails) => inTransaction(pool, url, (client) => insertMail(client, null, mails)),

    async claimDueMail(now, until, limit) {
      const claim = randomUUID();
      const result = await queryOnce<MailRow>(
        pool,
        url,
        `WITH due AS (
           SELECT id, recipient_key, priority, next_attempt FROM mail
           WHERE next_attempt <= $1 AND (claim IS NULL OR claimed_until <= $1)
           ORDER BY priority, next_attempt, id
           LIMIT $3 * ${LOOK_AHEAD}
           FOR UPDATE SKIP LOCKED
         ), one_each AS (
           SELECT DISTINCT ON (recipient_key) id, priority, next_attempt FROM due
           ORDER BY recipient_key, priority, next_attempt, id
         ), picked AS (
           SELECT id FROM one_each ORDER BY priority, next_attempt, id LIMIT $3
         )
         UPDATE mail SET claim = $4, claimed_until = $2
         FROM picked WHERE mail.id = picked.id
         RETURNING mail.*`,
        [now.toISOString(), until.toISOString(), limit, claim],
      );
      return result.rows
        .map((row) => toMail(row) as ClaimedMail)
        .sort((a, b) => a.priority - b.priority || a.nextAttempt.localeCompare(b.nextAttempt) || a.id - b.id);
    },

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
