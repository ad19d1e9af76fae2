import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** A PostgreSQL server the tests may create databases on. */
export type PostgresServer = {
  /** Connects as a superuser to the `postgres` database; used to create and drop test databases. */
  adminUrl: string;
  /** A new, empty database of its own for one suite (so suites never see each other's rows). */
  createDatabase(): Promise<TestDatabase>;
  /** Stops the throwaway server and deletes its folder (does nothing for a caller's DATABASE_URL). */
  stop(): Promise<void>;
};

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

const scriptsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts');

/** The binaries' folder from scripts/ensure-postgres.sh, which installs them as root when missing. */
function postgresBinaries(): string {
  try {
    return execFileSync('bash', [path.join(scriptsDir, 'ensure-postgres.sh')], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    throw new Error('PostgreSQL is not available for the tests: see the ensure-postgres message above');
  }
}

/** initdb and postgres refuse to run as root: as root they run as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function run(command: string, args: string[], user: { uid: number; gid: number } | undefined) {
  const child = spawn(command, args, {
    ...user,
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${path.basename(command)} failed (exit ${code}):\n${output}`);
}

async function waitUntilReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) {
      throw new Error(`postgres exited at start (code ${server.exitCode}):\n${log()}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`postgres did not accept connections within 30 s (${String(error)}):\n${log()}`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

/** A throwaway server whose postmaster a test may stop and start again on the same data. */
export type ThrowawayPostgres = PostgresServer & {
  /** Stops the postmaster, keeping its data: the database "goes away". */
  halt(): Promise<void>;
  /** Starts it again on the same data and socket. */
  resume(): Promise<void>;
};

/**
 * A throwaway cluster: initdb in a temporary folder owned by the server's user, then postgres
 * listening only on a unix socket in that folder (no TCP port, so parallel test files never race
 * for one). fsync is off unless `durable`: the tests never crash the database itself, only the app.
 */
export async function startThrowawayPostgres(
  options: { durable?: boolean } = {},
): Promise<ThrowawayPostgres> {
  const bin = postgresBinaries();
  const user = serverUser();
  const base = mkdtempSync(path.join(tmpdir(), 'kum-pg-'));
  const data = path.join(base, 'data');
  const socket = path.join(base, 'sock');
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(socket, { mode: 0o755 });
  if (user) for (const dir of [base, data, socket]) chownSync(dir, user.uid, user.gid);
  const urlFor = (database: string) =>
    `postgresql://postgres@localhost/${database}?host=${encodeURIComponent(socket)}`;
  const adminUrl = urlFor('postgres');

  await run(
    path.join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
    user,
  );

  let server: ChildProcess | undefined;
  // If the test process ends without calling stop(), the server must not outlive it.
  const killOnExit = () => {
    server?.kill('SIGQUIT');
  };
  process.on('exit', killOnExit);

  const launch = async () => {
    const child = spawn(
      path.join(bin, 'postgres'),
      [
        ...['-D', data, '-k', socket, '-c', 'listen_addresses=', '-c', 'max_connections=300'],
        // The benchmark asks for a durable server: its commits wait for the disk, as in production.
        ...(options.durable ? [] : ['-c', 'fsync=off']),
      ],
      { ...user, env: { PATH: process.env.PATH, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    });
    server = child;
    await waitUntilReady(adminUrl, child, () => log);
  };
  const halt = async () => {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    // SIGINT = "fast shutdown": rolls back open sessions, disconnects clients, exits cleanly.
    child.kill('SIGINT');
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    server?.kill('SIGQUIT');
    rmSync(base, { recursive: true, force: true });
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    adminUrl,
    createDatabase: () => createDatabase(adminUrl, urlFor),
    halt,
    resume: launch,
    stop() {
      stopped ??= (async () => {
        await halt();
        process.removeListener('exit', killOnExit);
        rmSync(base, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

async function createDatabase(adminUrl: string, urlFor: (name: string) => string): Promise<TestDatabase> {
  const name = `kum_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: urlFor(name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A server the caller brought (DATABASE_URL): test databases are created beside its own. */
function callersServer(url: string): PostgresServer {
  const parsed = new URL(url);
  const urlFor = (database: string) => {
    const copy = new URL(parsed);
    copy.pathname = `/${database}`;
    return copy.toString();
  };
  return {
    adminUrl: url,
    createDatabase: () => createDatabase(url, urlFor),
    stop: async () => undefined,
  };
}

let shared: Promise<PostgresServer> | undefined;

/**
 * The PostgreSQL server for this test process: the caller's DATABASE_URL when set, otherwise a
 * throwaway cluster started on first use (~2 s). Call `stop()` in an `after` hook; the cluster is
 * also killed if the process exits without it.
 */
export function usePostgres(): Promise<PostgresServer> {
  const url = process.env.DATABASE_URL;
  shared ??= url ? Promise.resolve(callersServer(url)) : startThrowawayPostgres();
  return shared;
}
