import { randomUUID } from 'node:crypto';
import { type ClaimedMail, type MailRecord, type Store, StoreConflictError } from '../store.js';
import type { StoreChange } from './changes.js';
import type { StoreIndexes } from './indexes.js';
import type { Persistence } from './operations.js';
import { queuedMail } from './user-writes.js';

/** The mail queue's part of the Store. */
export type MailOperations = Pick<
  Store,
  'enqueueMail' | 'claimDueMail' | 'finishMail' | 'retryMail' | 'mailQueueStats'
>;

/**
 * The mail queue over the indexes: due mail comes from the due-mail index (mail-index.ts), and a
 * claim is a lease checked by finish and retry, so two senders never send the same email and a
 * late retry never brings back one already sent. `commit` applies and persists, as for every write.
 */
export function createMailOperations(
  indexes: StoreIndexes,
  persistence: Persistence,
  commit: (changes: readonly StoreChange[]) => Promise<void>,
): MailOperations {
  return {
    async enqueueMail(mails) {
      persistence.admit();
      const records = mails.map((mail, index) => queuedMail(indexes, mail, index, mail.userId ?? null));
      for (const record of records) {
        if (record.userId !== null && !indexes.users.has(record.userId)) throw new StoreConflictError('user');
      }
      await commit(records.map((mail) => ({ type: 'putMail', mail })));
      return records;
    },

    async claimDueMail(now, until, limit) {
      persistence.admit();
      const claim = randomUUID();
      const claimedUntil = until.toISOString();
      const claimed = indexes.dueMail
        .takeDue(now.getTime(), limit)
        .map((mail): ClaimedMail => ({ ...mail, claim, claimedUntil }));
      if (claimed.length > 0) await commit(claimed.map((mail) => ({ type: 'putMail', mail })));
      return claimed;
    },
    async finishMail(id, claim) {
      persistence.admit();
      if (indexes.mails.get(id)?.claim !== claim) return false;
      await commit([{ type: 'deleteMail', id }]);
      return true;
    },
    async retryMail(id, claim, retry) {
      persistence.admit();
      const mail = indexes.mails.get(id);
      if (!mail || mail.claim !== claim) return false;
      const next: MailRecord = {
        ...mail,
        attempts: mail.attempts + 1,
        lastError: retry.error,
        nextAttempt: retry.nextAttempt.toISOString(),
        claim: null,
        claimedUntil: null,
      };
      await commit([{ type: 'putMail', mail: next }]);
      return true;
    },
    async mailQueueStats() {
      // Mails are kept in the order they were queued: the first one is the oldest.
      const first = indexes.mails.values().next();
      return { depth: indexes.mails.size, oldestCreated: first.done ? null : first.value.created };
    },
  };
}
