import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import type { Clock } from '../../server/auth/types.js';
import { loadConfig } from '../../server/config.js';
import { type RunningServer, startServer } from '../../server/server.js';
import type { Store } from '../../server/store/store.js';
import { type TestDatabase, usePostgres } from './postgres.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/** Which store an app under test runs on: the lowdb file, or a fresh PostgreSQL database. */
export type StoreKind = 'lowdb' | 'postgres';

export type TestApp = {
  url: string;
  /** The public URL email links are built from. */
  appUrl: string;
  store: Store;
  storeKind: StoreKind;
  mail: SmtpSink;
  dir: string;
  dbFile: string;
  /** The app's DATABASE_URL when it runs on PostgreSQL. */
  databaseUrl: string | undefined;
  server: RunningServer;
  /** Stops the app (keeping its files, database and the SMTP sink) so a test can start it again. */
  stop(): Promise<void>;
  /** Stops everything and deletes the temporary folder (and the database it made). */
  close(): Promise<void>;
};

export type StartOptions = {
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse a folder (and so a DB_FILE, or the database made with it) from an earlier start, to test restarts. */
  dir?: string;
  mail?: SmtpSink;
  /** Defaults to this process's store (runSuitesOn), else lowdb. */
  store?: StoreKind;
};

let processStore: StoreKind = 'lowdb';

/**
 * Runs a suite file with every startApp of this test process on `store` unless a test asks
 * otherwise: how the HTTP suites run a second time on PostgreSQL (test/on-postgres/*) without a
 * copy of their bodies. `load` imports the suite file.
 */
export async function runSuitesOn(store: StoreKind, load: () => Promise<unknown>): Promise<void> {
  processStore = store;
  await load();
  // Registered after the suite's own hooks, so it runs after them: one throwaway server for the
  // whole process, stopped (and its folder deleted) once every app closed.
  after(async () => {
    if (store === 'postgres' && !postgresStarted)
      throw new Error('runSuitesOn(postgres): no app of this file started on PostgreSQL');
    if (postgresStarted) await (await usePostgres()).stop();
  });
}

let postgresStarted = false;

/** The database made for a folder, so a restart with `dir` finds the same rows again. */
const databases = new Map<string, TestDatabase>();

async function databaseFor(dir: string, reused: boolean): Promise<TestDatabase> {
  const known = databases.get(dir);
  if (known) return known;
  if (reused)
    throw new Error(`startApp: no database was made for ${dir}; start the first app on PostgreSQL too`);
  postgresStarted = true;
  const database = await (await usePostgres()).createDatabase();
  databases.set(dir, database);
  return database;
}

/**
 * The real app on port 0 with a temporary DB_FILE (or, with store 'postgres', a fresh database on
 * the process's throwaway PostgreSQL server) and a real SMTP server catching its mail.
 * Rate limits are off unless a test turns them on (RATE_LIMITS=on) to test throttling itself.
 */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const storeKind = options.store ?? processStore;
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'kum-test-')));
  const mail = options.mail ?? (await startSmtpSink());
  const dbFile = path.join(dir, 'db.json');
  const database = storeKind === 'postgres' ? await databaseFor(dir, options.dir !== undefined) : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DB_FILE: dbFile,
    SMTP_URL: mail.url,
    BCRYPT_ROUNDS: '4',
    RATE_LIMITS: 'off',
    HASH_WORKERS: '2',
    ...(database ? { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '5' } : {}),
    ...options.env,
  });
  const server = await startServer(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    mailPollInterval: 50,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    url: server.url,
    appUrl: server.deps.config.appUrl,
    store: server.deps.store,
    storeKind,
    mail,
    dir,
    dbFile,
    databaseUrl: database?.url,
    server,
    stop,
    async close() {
      await stop();
      if (!options.mail) await mail.close();
      if (options.dir) return;
      await rm(dir, { recursive: true, force: true });
      if (!database) return;
      databases.delete(dir);
      await database.drop();
    },
  };
}
