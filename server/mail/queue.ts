import type { MailRecord, Store } from '../store/store.js';
import type { Mailer } from './mailer.js';

type QueueLog = {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  info(fields: object, message: string): void;
};

export type MailQueueOptions = {
  store: Store;
  mailer: Mailer;
  now: () => Date;
  log: QueueLog;
  /** Opens a stored message's sealed link. */
  openLink: (sealed: string) => string;
  /** Seconds each kind of link lives; a message whose link has expired is dropped, not sent. */
  lifetimes: { verify: number; reset: number };
  /** How often to look for due mail even when nothing new was queued (ms). */
  pollInterval?: number;
  /** First retry delay (ms); doubles each attempt up to `maxBackoff`. */
  baseBackoff?: number;
  maxBackoff?: number;
};

export type MailQueue = {
  /** Look for due mail now (the domain's `mailQueued` event calls this). */
  wake(): void;
  /** Resolves when nothing is due or being sent (tests and shutdown use it). */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

const BATCH = 20;

/** The delay before attempt number `attempts + 1`: 1 s, 2 s, 4 s … capped. */
export function backoffDelay(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Durable delivery: messages live in the store (committed with the change that caused them) until
 * the mail server accepts them. A failure is logged (never with the link: it holds a token) and
 * retried with exponential backoff, across restarts, so an outage loses no email.
 */
export function startMailQueue(options: MailQueueOptions): MailQueue {
  const { store, mailer, now, log } = options;
  const baseBackoff = options.baseBackoff ?? 1000;
  const maxBackoff = options.maxBackoff ?? 10 * 60 * 1000;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const deliver = (mail: MailRecord) => {
    const link = options.openLink(mail.sealedLink);
    switch (mail.kind) {
      case 'verify':
        return mailer.sendVerification(mail.to, link);
      case 'reset':
        return mailer.sendPasswordReset(mail.to, link);
      case 'signup-attempt':
        return mailer.sendSignupAttempt(mail.to, link);
    }
  };

  /** A link that expired while the mail server was down would only confuse its reader. */
  const linkExpired = (mail: MailRecord) => {
    if (mail.kind === 'signup-attempt') return false;
    const lifetime = mail.kind === 'reset' ? options.lifetimes.reset : options.lifetimes.verify;
    return Date.parse(mail.created) + lifetime * 1000 < now().getTime();
  };

  const drain = async () => {
    do {
      again = false;
      const due = await store.listDueMail(now(), BATCH);
      for (const mail of due) {
        if (stopped) return;
        if (linkExpired(mail)) {
          log.warn(
            { mailId: mail.id, kind: mail.kind, attempts: mail.attempts },
            'mail dropped: its link expired before delivery',
          );
          await store.commit([{ type: 'deleteMail', id: mail.id }]);
          continue;
        }
        try {
          await deliver(mail);
          await store.commit([{ type: 'deleteMail', id: mail.id }]);
          log.info({ mailId: mail.id, kind: mail.kind }, 'mail sent');
        } catch (error) {
          const attempts = mail.attempts + 1;
          const delay = backoffDelay(attempts, baseBackoff, maxBackoff);
          const reason = error instanceof Error ? error.message : String(error);
          log.warn(
            { mailId: mail.id, kind: mail.kind, attempts, retryInMs: delay, reason },
            'mail delivery failed',
          );
          await store
            .commit([
              {
                type: 'putMail',
                mail: {
                  ...mail,
                  attempts,
                  lastError: reason,
                  nextAttempt: new Date(now().getTime() + delay).toISOString(),
                },
              },
            ])
            .catch((storeError: unknown) => log.error({ err: storeError }, 'could not record mail retry'));
        }
      }
      if (due.length === BATCH) again = true;
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error: unknown) => log.error({ err: error }, 'mail queue failed'))
      .finally(() => {
        running = null;
      });
  };

  const timer = setInterval(wake, options.pollInterval ?? 2000);
  timer.unref();
  wake();

  return {
    wake,
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
