import type { ClaimedMail, Store } from '../store/store.js';
import { isMailKind } from './kinds.js';
import type { Mailer } from './mailer.js';
import { type LinkLifetimes, renderEmail } from './render.js';

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
  /** Seconds each kind of link lives, so the email can say so. */
  lifetimes: LinkLifetimes;
  /** How often to look for due mail even when nothing new was queued (ms). */
  pollInterval?: number;
  /** First retry delay (ms); doubles each attempt up to `maxBackoff`. */
  baseBackoff?: number;
  maxBackoff?: number;
  /** Deliveries in flight at once (they share the transport's pooled connection). Default 4. */
  concurrency?: number;
  /** A permanent refusal (5xx) is given up after this many tries. Default 3. */
  permanentTries?: number;
  /** How long a claim holds a mail before another sender may take it (ms). Default 60 s. */
  claimFor?: number;
  /** How often the queue's depth and oldest age are logged while it is not empty (ms). Default 30 s. */
  statsInterval?: number;
  /** Mail older than this (ms) is dropped rather than sent. Default 3 days. */
  maxAge?: number;
};

export type MailQueue = {
  /** Look for due mail now (the domain's `mailQueued` event calls this). */
  wake(): void;
  /** Resolves when nothing is due or being sent (tests and shutdown use it). */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

/** The delay before attempt number `attempts + 1`: 1 s, 2 s, 4 s … capped. */
export function backoffDelay(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempts - 1));
}

/** SMTP 5xx: the server will never take this message as it is. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * Durable, fair delivery. Messages live in the store (written with the change that caused them)
 * until the mail server takes them. Each pass claims due mail through the store's index — links
 * people wait for first, at most one per recipient per pass, so no recipient or account can hold
 * the queue — and sends a few at once. A message whose link's token is gone (replaced, used,
 * expired) is dropped unsent: its reader would only find a dead link. Temporary failures are
 * retried with backoff; a permanent refusal (5xx) is given up after a few tries. Every outcome is
 * logged, never with the link (it holds a token).
 */
export function startMailQueue(options: MailQueueOptions): MailQueue {
  const { store, mailer, now, log } = options;
  const baseBackoff = options.baseBackoff ?? 1000;
  const maxBackoff = options.maxBackoff ?? 10 * 60 * 1000;
  const concurrency = options.concurrency ?? 4;
  const permanentTries = options.permanentTries ?? 3;
  const claimFor = options.claimFor ?? 60_000;
  const maxAge = options.maxAge ?? 3 * 24 * 3600 * 1000;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const drop = async (mail: ClaimedMail, why: string) => {
    log.warn({ mailId: mail.id, kind: mail.kind, attempts: mail.attempts }, `mail dropped: ${why}`);
    await store.finishMail(mail.id, mail.claim);
  };

  const deliver = async (mail: ClaimedMail) => {
    if (!isMailKind(mail.kind)) return drop(mail, 'unknown kind');
    if (mail.tokenHash) {
      const found = await store.findTokenWithUser(mail.tokenHash);
      if (!found || Date.parse(found.token.expiresAt) < now().getTime())
        return drop(mail, 'its link is no longer valid (replaced, used or expired)');
    }
    // A notice carries no token to die with; after days of temporary failures it is stale news.
    if (now().getTime() - Date.parse(mail.created) > maxAge) return drop(mail, 'too old to be worth sending');
    let link: string | null;
    try {
      link = mail.sealedLink ? options.openLink(mail.sealedLink) : null;
    } catch {
      // Sealed under a key SESSION_KEYS no longer holds: it will never open, so retrying is pointless.
      return drop(mail, 'its link cannot be opened with the configured keys');
    }
    try {
      const email = await renderEmail(mail.kind, mail.to, link, options.lifetimes, mail.params);
      await mailer.send({ to: mail.to, ...email });
    } catch (error) {
      const attempts = mail.attempts + 1;
      const reason = error instanceof Error ? error.message : String(error);
      if (isPermanent(error) && attempts >= permanentTries) {
        log.error(
          { mailId: mail.id, kind: mail.kind, attempts, reason },
          'mail given up: refused permanently',
        );
        await store.finishMail(mail.id, mail.claim);
        return;
      }
      const delay = backoffDelay(attempts, baseBackoff, maxBackoff);
      log.warn(
        { mailId: mail.id, kind: mail.kind, attempts, retryInMs: delay, reason },
        'mail delivery failed',
      );
      await store.retryMail(mail.id, mail.claim, {
        nextAttempt: new Date(now().getTime() + delay),
        error: reason,
      });
      return;
    }
    // A false here means our claim lapsed and another sender holds it: it was sent, say so.
    if (!(await store.finishMail(mail.id, mail.claim)))
      log.warn({ mailId: mail.id, kind: mail.kind }, 'mail sent after its claim lapsed');
    else log.info({ mailId: mail.id, kind: mail.kind }, 'mail sent');
  };

  const drain = async () => {
    do {
      again = false;
      const start = now();
      const batch = await store.claimDueMail(start, new Date(start.getTime() + claimFor), concurrency * 2);
      let next = 0;
      const worker = async () => {
        while (next < batch.length && !stopped) {
          const mail = batch[next++]!;
          await deliver(mail).catch((error: unknown) =>
            log.error({ err: error, mailId: mail.id }, 'mail queue could not record an outcome'),
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      if (batch.length > 0) again = true;
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

  const logStats = () => {
    store
      .mailQueueStats()
      .then(({ depth, oldestCreated }) => {
        if (depth === 0) return;
        const oldestAgeMs = oldestCreated ? now().getTime() - Date.parse(oldestCreated) : 0;
        log.info({ depth, oldestAgeMs }, 'mail queue');
      })
      .catch((error: unknown) => log.error({ err: error }, 'mail queue stats failed'));
  };

  const timer = setInterval(wake, options.pollInterval ?? 2000);
  timer.unref();
  const statsTimer = setInterval(logStats, options.statsInterval ?? 30_000);
  statsTimer.unref();
  wake();

  return {
    wake,
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(statsTimer);
      while (running) await running;
    },
  };
}
