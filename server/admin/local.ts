import { pino } from 'pino';
import { emailKey, usernameKey } from '../auth/canonical.js';
import { createAuthEvents } from '../auth/events.js';
import { createLinkSealer } from '../auth/sealed-links.js';
import type { AuthDeps } from '../auth/types.js';
import { authDepsOf } from '../auth-deps.js';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { createWorkerPasswordHasher } from '../hashing/worker-pool.js';
import { createOutboxMailer } from '../mail/outbox.js';
import { startMailQueue } from '../mail/queue.js';
import { createSmtpMailer } from '../mail/smtp.js';
import { createLowdbStore, StoreLockedError } from '../store/lowdb.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { type Store, StoreCorruptError, StoreUnavailableError } from '../store/store.js';

/**
 * The CLI holding the store itself: on PostgreSQL beside any running servers (every write is a
 * transaction they see at once), on lowdb when no server runs (the data lock is taken, so a server
 * started meanwhile refuses until the CLI is done). Mail a command queues is delivered before the
 * CLI exits, as a server would, so `users reset-link` works with the server stopped.
 */
export type LocalRun = { auth: AuthDeps; finish(): Promise<{ undelivered: number }> };

const MAIL_WAIT_MS = 15_000;

/** The store cannot be opened here; `message` is the CLI's one line. */
export class CannotOpenError extends Error {
  override name = 'CannotOpenError';
}

async function openStore(config: Config): Promise<Store> {
  try {
    return await openStoreOf(config);
  } catch (error) {
    if (error instanceof StoreLockedError) {
      throw new CannotOpenError(
        `${error.message}; its admin socket does not answer (is it an older version?)`,
      );
    }
    if (error instanceof StoreCorruptError || error instanceof StoreUnavailableError) {
      throw new CannotOpenError(error.message);
    }
    throw error;
  }
}

async function openStoreOf(config: Config): Promise<Store> {
  return config.databaseUrl
    ? await createPostgresStore(config.databaseUrl, { max: 2 })
    : await createLowdbStore(config.dbFile, {
        // As server.ts opens it: a version-1 file is migrated with the domain's key rule.
        migrationKeys: {
          emailKey: (email) => emailKey(email) ?? email.normalize('NFC').toLowerCase(),
          usernameKey: (username) => usernameKey(username) ?? username.normalize('NFC').toLowerCase(),
        },
      });
}

export async function openLocally(config: Config): Promise<LocalRun> {
  const store = await openStore(config);
  const log = pino({ level: 'silent' });
  const sealer = createLinkSealer(config.sessionKeys);
  const mailer = config.smtpUrl
    ? createSmtpMailer(config.smtpUrl, config.mailFrom)
    : createOutboxMailer(config.outboxDir);
  const hasher = createWorkerPasswordHasher(1);
  const events = createAuthEvents();
  const clock = { now: () => new Date() };
  // Links are built from APP_URL; without it, from the address a server on PORT would have.
  const appUrl = config.appUrl ?? `http://localhost:${config.port}`;
  const deps: Deps = { config: { ...config, appUrl }, store, hasher, sealer, mailer, clock, log, events };
  const queue = startMailQueue({
    store,
    mailer,
    now: clock.now,
    log,
    openLink: sealer.open,
    lifetimes: { verify: config.verifyTokenTtl, reset: config.resetTokenTtl },
    pollInterval: 200,
  });
  let queued = false;
  events.on('mailQueued', () => {
    queued = true;
    queue.wake();
  });
  return {
    auth: authDepsOf(deps),
    async finish() {
      let undelivered = 0;
      const deadline = Date.now() + MAIL_WAIT_MS;
      while (queued) {
        await queue.idle();
        undelivered = (await store.mailQueueStats()).depth;
        if (undelivered === 0 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await queue.stop();
      await store.close();
      await hasher.close();
      await mailer.close();
      return { undelivered };
    },
  };
}
