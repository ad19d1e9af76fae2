import { once } from 'node:events';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { type DestinationStream, type Logger, pino } from 'pino';
import { adminSocketPath } from './admin/socket-protocol.js';
import { startAdminSocket } from './admin/socket-server.js';
import { createApp } from './app.js';
import { sweepActivity } from './auth/activity.js';
import { emailKey, usernameKey } from './auth/canonical.js';
import { createAuthEvents } from './auth/events.js';
import { createLinkSealer } from './auth/sealed-links.js';
import type { Clock } from './auth/types.js';
import { authDepsOf } from './auth-deps.js';
import { type Config, ConfigError, loadConfigFromProcess, withAppUrl } from './config.js';
import type { Deps } from './deps.js';
import { createWorkerPasswordHasher } from './hashing/worker-pool.js';
import { createDatabaseProbe } from './health.js';
import { createOutboxMailer } from './mail/outbox.js';
import { startMailQueue } from './mail/queue.js';
import { createSmtpMailer } from './mail/smtp.js';
import { createLimiter } from './middleware/rate-limit.js';
import {
  createPostgresRateLimitBackend,
  createRedisRateLimitBackend,
} from './middleware/rate-limit-shared.js';
import { createOidcProviders } from './oidc/providers.js';
import { createLowdbStore, StoreLockedError } from './store/lowdb.js';
import type { PostgresStore } from './store/postgres/postgres-store.js';
import { type Store, StoreCorruptError, StoreUnavailableError } from './store/store.js';

const SHUTDOWN_GRACE_MS = 10_000;
/** How often entries past SECURITY_LOG_DAYS are swept from the security activity log. */
const ACTIVITY_SWEEP_MS = 10 * 60_000;

/** Paths pino blanks in every log line: secrets must never reach a log file. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'link',
  '*.link',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-access-token"]',
  'res.headers["set-cookie"]',
  'clientSecret',
  '*.clientSecret',
];

/**
 * The app's logger: JSON lines with REDACTED_PATHS blanked. Tests pass their own `destination`
 * to read what would reach the log file.
 */
export function createLogger(level: Config['logLevel'], destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

export type RunningServer = {
  url: string;
  deps: Deps;
  /** Stops accepting requests, finishes pending writes and mail, releases the file. */
  close(): Promise<void>;
};

/**
 * The composition root: the one place that picks implementations and wires them together.
 * Tests call it too (with a fake clock or a quiet logger), so they run exactly what `npm start` runs.
 */
export async function startServer(
  initial: Config,
  overrides: {
    clock?: Clock;
    log?: Logger;
    mailPollInterval?: number;
    /** What to do when the store can no longer write (the process entry exits). */
    onStoreBroken?: (error: Error) => void;
  } = {},
): Promise<RunningServer> {
  let config = initial;
  const log = overrides.log ?? createLogger(config.logLevel);
  if (config.usingDevelopmentSessionKey)
    log.warn('SESSION_KEYS is not set: using the development key (never in production)');

  // DATABASE_URL: PostgreSQL, shared by every instance (migrations run at start); else the lowdb file.
  // pg and ioredis are loaded only when configured: ~0.1 s of start-up CPU otherwise (issue 15).
  const shared: PostgresStore | undefined = config.databaseUrl
    ? await (await import('./store/postgres/postgres-store.js')).createPostgresStore(config.databaseUrl, {
        max: config.databasePoolSize,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        onIdleError: (error) => log.warn({ err: error }, 'a database connection failed while idle'),
        onBusyError: (error) => log.warn({ err: error }, 'a database connection failed while in use'),
      })
    : undefined;
  // REDIS_URL: the limiter counts in Redis instead. No offline queue: while Redis is away a count
  // fails at once (a 503 through StoreUnavailableError) rather than waiting on a reconnect.
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, { enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  redis?.on('error', (error) => log.warn({ err: error }, 'the Redis connection failed'));
  const store: Store =
    shared ??
    (await createLowdbStore(config.dbFile, {
      onBroken(error) {
        log.fatal({ err: error }, 'the store cannot write; stopping so a restart reloads what is on disk');
        overrides.onStoreBroken?.(error);
      },
      // The journal keeps every change when DB_FILE cannot be rewritten; say so rather than stay silent.
      onCompactionError(error) {
        log.error({ err: error }, 'could not rewrite DB_FILE; the journal beside it keeps every change');
      },
      // A version-1 file is migrated with the domain's key rule, so its accounts are found again
      // (an address the rule now refuses keeps its old key: kept, though no one can match it).
      migrationKeys: {
        emailKey: (email) => emailKey(email) ?? email.normalize('NFC').toLowerCase(),
        usernameKey: (username) => usernameKey(username) ?? username.normalize('NFC').toLowerCase(),
      },
    }));
  const hasher = createWorkerPasswordHasher(config.hashWorkers);
  const sealer = createLinkSealer(config.sessionKeys);
  const outbox = config.smtpUrl ? undefined : createOutboxMailer(config.outboxDir);
  const mailer = config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.mailFrom) : outbox!;
  const events = createAuthEvents();
  const clock = overrides.clock ?? { now: () => new Date() };

  // A client must send its whole request within REQUEST_TIMEOUT (default 30 s; Node's own is 300 s):
  // a body trickled in a byte at a time would otherwise hold a connection and its memory for minutes.
  // Node answers 408 and closes; it checks every second so the cut-off is near the limit.
  const server = createServer({
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  });
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (!config.appUrl) config = withAppUrl(config, `http://localhost:${port}`);
  const appUrl = config.appUrl!;

  // Issue 16: discovery runs in the background; a provider that is down is logged and retried,
  // never a reason not to start.
  const oidc =
    config.oidcProviders.length > 0
      ? createOidcProviders(config.oidcProviders, {
          appUrl,
          production: config.isProduction,
          clock,
          log,
        })
      : undefined;
  const deps: Deps = {
    config: { ...config, appUrl },
    store,
    hasher,
    sealer,
    mailer,
    clock,
    log,
    events,
    ...(outbox ? { outbox } : {}),
    ...(shared ? { databaseAnswers: createDatabaseProbe(() => shared.pool.query('SELECT 1')) } : {}),
    ...(oidc ? { oidc } : {}),
    // Several instances count in one place: PostgreSQL's table, not each process's memory.
    ...(redis && config.rateLimits
      ? { limiter: createLimiter({ backend: createRedisRateLimitBackend(redis) }) }
      : {}),
    ...(!redis && shared && config.rateLimits
      ? { limiter: createLimiter({ backend: createPostgresRateLimitBackend(shared.pool) }) }
      : {}),
  };
  server.on('request', createApp(deps));
  // Issue 18: on lowdb this process holds DB_FILE, so `npm run admin` asks it through this socket.
  const adminSocket = shared ? null : await startAdminSocket(deps, adminSocketPath(config.dbFile));

  const queue = startMailQueue({
    store,
    mailer,
    now: clock.now,
    log,
    openLink: sealer.open,
    lifetimes: { verify: config.verifyTokenTtl, reset: config.resetTokenTtl },
    claimFor: config.mailClaimMs,
    ...(overrides.mailPollInterval ? { pollInterval: overrides.mailPollInterval } : {}),
  });
  // After the response: delivery work must not add to the request's time (it would tell).
  events.on('mailQueued', () => setImmediate(queue.wake));
  // Issue 14: a deletion takes the account's activity log with it; the operator's log keeps the event.
  events.on('accountDeleted', (deleted) => log.info({ deleted }, 'account deleted'));
  const sweeper = setInterval(() => {
    store
      .sweepExpiredTokens(clock.now())
      .catch((error: unknown) => log.error({ err: error }, 'token sweep failed'));
  }, 60_000);
  sweeper.unref();
  // Issue 14: security activity older than SECURITY_LOG_DAYS goes; a day's precision is plenty.
  const activitySweeper = setInterval(() => {
    sweepActivity(authDepsOf(deps)).catch((error: unknown) =>
      log.error({ err: error }, 'activity sweep failed'),
    );
  }, ACTIVITY_SWEEP_MS);
  activitySweeper.unref();

  log.info(
    { url: appUrl, port, dbFile: config.dbFile, mail: config.smtpUrl ? 'smtp' : config.outboxDir },
    'listening',
  );
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    deps,
    async close() {
      clearInterval(sweeper);
      clearInterval(activitySweeper);
      oidc?.close();
      // Stop taking connections, let requests under way finish (their writes and hashing need the
      // store and the pool), and cut off only what is still open after the grace period.
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cutOff = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await drained;
      clearTimeout(cutOff);
      await adminSocket?.close();
      await queue.stop();
      await store.close();
      await redis?.quit().catch(() => undefined);
      await hasher.close();
      await mailer.close();
    },
  };
}

async function prettyLogStream(): Promise<DestinationStream> {
  const { default: pinoPretty } = await import('pino-pretty');
  return pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
}

/** The one line a busy or forbidden port gets at start, instead of a stack trace. */
function listenProblem(error: unknown): string | null {
  const failure = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (failure?.syscall !== 'listen') return null;
  if (failure.code === 'EADDRINUSE')
    return `port ${failure.port} is in use; set PORT to another port (PORT=0 picks any free one)`;
  if (failure.code === 'EACCES')
    return `port ${failure.port} needs more privileges than this user has; set PORT to 1024 or above`;
  if (failure.code === 'EADDRNOTAVAIL')
    return `HOST ${failure.address} is not an address of this machine; set HOST (default 127.0.0.1)`;
  return null;
}

async function main() {
  const config = loadConfigFromProcess();
  let closing = false;
  let started: RunningServer | null = null;
  // Fail-stop: memory may hold changes the disk lost, so the process ends and a supervisor's
  // restart replays what is durable. It first answers the requests under way (each gets a 5xx:
  // no write can land any more), a turn later so the failed write's own callers hear first.
  const stopBroken = () => {
    if (closing) return;
    closing = true;
    const closed = started ? started.close() : Promise.resolve();
    void closed.catch(() => undefined).finally(() => process.exit(1));
  };
  // pino's default destination writes every line synchronously (a blocking write per request on
  // the event loop: issue 15's profile); buffered writes move that off the request path, and the
  // exit hook writes out whatever is still buffered, so a fatal line before exit(1) is not lost.
  const logDestination = pino.destination({ dest: 1, sync: false });
  process.on('exit', () => {
    try {
      logDestination.flushSync();
    } catch {
      // Nothing more can be done for the log while exiting (stdout closed or not open yet).
    }
  });
  // A person at a terminal reads coloured lines (pino-pretty); anything else (a file, a pipe, a
  // log collector) gets the JSON lines. Loaded only then, so production never imports it.
  const pretty = process.stdout.isTTY && !config.isProduction ? await prettyLogStream() : null;
  const running = await startServer(config, {
    log: createLogger(config.logLevel, pretty ?? logDestination),
    onStoreBroken: () => setImmediate(stopBroken),
  });
  started = running;
  process.stdout.write(`koa-user-management listening on ${running.deps.config.appUrl}\n`);
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    running.deps.log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

const runAsEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runAsEntry) {
  main().catch((error: unknown) => {
    const known =
      error instanceof ConfigError ||
      error instanceof StoreCorruptError ||
      error instanceof StoreLockedError ||
      error instanceof StoreUnavailableError;
    const listening = listenProblem(error);
    const detail =
      listening ??
      (error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error));
    process.stderr.write(`Cannot start: ${detail}\n`);
    process.exit(1);
  });
}
