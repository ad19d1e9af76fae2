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
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw storeError(error, url);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection itself failed: the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && RETRYABLE.has(code) && attempt < 2) continue;
      throw storeError(error, url);
    } finally {
      client.release(broken);
    }
  }
}

/** One statement outside a transaction, with the store's errors. */
export async function queryOnce<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw storeError(error, url);
  }
}
