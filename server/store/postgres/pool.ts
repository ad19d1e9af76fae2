import pg from 'pg';
import { StoreConflictError, StoreUnavailableError } from '../store.js';

/** How the store talks to PostgreSQL; everything else (host, TLS via `?sslmode=`) is in the URL. */
export type PoolOptions = {
  /** Connections per instance (DATABASE_POOL_SIZE). Several instances share the server's max_connections. */
  max?: number;
  /** The server cancels a statement after this long (DATABASE_STATEMENT_TIMEOUT): never a hung request. */
  statementTimeoutMs?: number;
  /** Waiting for a connection (the database down or the pool exhausted) gives up after this long. */
  connectTimeoutMs?: number;
  /** Idle-connection errors (the server restarted) are reported here instead of crashing the process. */
  onIdleError?: (error: Error) => void;
  /** A connection failing while checked out (between a transaction's statements) is reported here. */
  onBusyError?: (error: Error) => void;
};

/** A pool whose every wait is bounded, so a database that goes away gives errors, never hangs. */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // The server-side timeout cancels the work; the client-side one also covers a server that
    // stopped answering altogether (a partition), where no cancel would ever arrive.
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'koa-user-management',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  // The pool listens only while a connection is idle: one failing while checked out would be an
  // uncaught exception that ends the instance. Every client listens from its first hand-over
  // ('acquire', so the start-up migration's connections too); its statement fails anyway (a 503)
  // and holdConnection discards it on release.
  const guarded = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (error) => options.onBusyError?.(error));
  });
  return pool;
}

/** The URL without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') ?? (parsed.host || 'localhost');
    return `${host}${parsed.pathname}`;
  } catch {
    return 'the DATABASE_URL';
  }
}

// SQLSTATE classes and codes that mean "the database is not there for us now", not "your query is
// wrong": connection exceptions (08), shutdown / cannot connect now (57P0x), too many connections,
// a statement cancelled by statement_timeout (57014), and the server out of disk or memory (53).
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)|^57014$/;
const UNAVAILABLE_SYSTEM = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'ENOENT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;

/** True when `error` says the database cannot be reached or cannot work now (a 503, not a 500). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SYSTEM.has(code)))
    return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** Turns a driver error into the store's own: StoreUnavailableError for a database gone away. */
export function storeError(error: unknown, url: string): unknown {
  if (error instanceof StoreConflictError || error instanceof StoreUnavailableError) return error;
  if (isUnavailable(error)) {
    const reason = (error as Error).message || String((error as { code?: unknown }).code ?? 'no answer');
    return new StoreUnavailableError(`the database at ${describeUrl(url)} is unavailable: ${reason}`, {
      cause: error,
    });
  }
  return error;
}

// Two transactions each waiting for the other (40P01), or a serialisation failure (40001): safe to
// run again from the start, since nothing of the failed attempt was applied.
const RETRYABLE = new Set(['40P01', '40001']);

/** A pool connection held across several statements (see holdConnection). */
export type HeldConnection = {
  client: pg.PoolClient;
  /** Marks the connection broken: release() then discards it instead of pooling it again. */
  fail(error: unknown): void;
  /** Returns the connection to the pool (or discards it when broken). */
  release(): void;
};

/**
 * Checks out a connection for several statements. When the server ends a connection between two
 * statements (a restart, pg_terminate_backend, a failover), pg emits 'error' on the checked-out
 * client; with no listener that event would crash the process. Here it only marks the
 * connection broken: the next statement fails (the store's StoreUnavailableError, a 503), and the
 * connection is discarded on release, so the pool reconnects once the database is back.
 */
export async function holdConnection(pool: pg.Pool, url: string): Promise<HeldConnection> {
  let broken: Error | undefined;
  const fail = (error: unknown) => {
    broken ??= error instanceof Error ? error : new Error(String(error));
  };
  let client: pg.PoolClient;
  try {
    client = await connectListening(pool, fail);
  } catch (error) {
    throw storeError(error, url);
  }
  return {
    client,
    fail,
    release() {
      client.removeListener('error', fail);
      client.release(broken);
    },
  };
}

/**
 * pool.connect() with `onError` listening on the client from the moment it is handed over. The
 * callback form, because a promise resolves a few microtasks later, and an error that arrives in
 * the same network read as the connection's readiness is emitted synchronously in between, with
 * nobody listening (an uncaught exception).
 */
export function connectListening(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error || !client) return reject(error ?? new Error('the pool gave no connection'));
      client.on('error', onError);
      resolve(client);
    });
  });
}

/**
 * Runs `work` in one transaction on one connection: all of it commits or none of it does. A
 * deadlock is retried (twice); every other error rolls back and is rethrown as the store's error.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  url: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const held = await holdConnection(pool, url);
    try {
      await held.client.query('BEGIN');
      const result = await work(held.client);
      await held.client.query('COMMIT');
      return result;
    } catch (error) {
      // A failed rollback means the connection itself failed: the pool must not hand it out again.
      await held.client.query('ROLLBACK').catch(held.fail);
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && RETRYABLE.has(code) && attempt < 2) continue;
      throw storeError(error, url);
    } finally {
      held.release();
    }
  }
}

/** One statement outside a transaction, with the store's errors. */
export async function queryOnce<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  url: string,
  text: string,
  values: unknown[] = [],
  /** Names a hot statement: each connection parses and plans it once, then only executes it. */
  name?: string,
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(name ? { name, text, values } : { text, values });
  } catch (error) {
    throw storeError(error, url);
  }
}
