/**
 * `--store postgres`: a durable throwaway PostgreSQL server for the run (or the caller's
 * DATABASE_URL), a fresh database per size seeded in a few set-based statements, and the
 * database's own CPU read from /proc (the postmaster and every backend it forked).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { emailKey, usernameKey } from '../server/auth/canonical.js';
import { createPostgresStore } from '../server/store/postgres/postgres-store.js';
import { expiryOf } from '../server/store/store.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../test/helpers/postgres.js';
import type { Seeded } from './seed.js';

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

type Server = { adminUrl: string; createDatabase(): Promise<{ url: string }>; stop(): Promise<void> };

let server: Promise<Server & { postmasterPid: number | null }> | undefined;

async function postmasterPid(own: ThrowawayPostgres): Promise<number> {
  // The socket folder sits beside the data folder (test/helpers/postgres.ts); its postmaster.pid
  // names the server process on its first line.
  const socket = new URL(own.adminUrl).searchParams.get('host')!;
  const pidFile = path.join(path.dirname(socket), 'data', 'postmaster.pid');
  return Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
}

/** The run's server: DATABASE_URL when the caller gives one (its CPU is not ours to read). */
function useServer(databaseUrl: string | undefined) {
  server ??= (async () => {
    if (databaseUrl) {
      const { usePostgres } = await import('../test/helpers/postgres.js');
      return { ...(await usePostgres()), postmasterPid: null };
    }
    const own = await startThrowawayPostgres({ durable: true });
    return { ...own, postmasterPid: await postmasterPid(own) };
  })();
  return server;
}

export async function stopPostgres(): Promise<void> {
  if (server) await (await server).stop();
  server = undefined;
}

/** CPU seconds the database has used so far (live backends, exited ones, the postmaster), or null. */
export async function databaseCpuSeconds(): Promise<number | null> {
  const pid = server ? (await server).postmasterPid : null;
  if (pid === null) return null;
  let ticks = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name "(…)": state ppid … utime(14) stime(15) cutime(16) cstime(17).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((index) => Number(fields[index]));
    // The postmaster's cutime/cstime hold its backends that already exited (a pool reconnecting).
    if (Number(entry) === pid) ticks += utime! + stime! + cutime! + cstime!;
    else if (ppid === pid) ticks += utime! + stime!;
  }
  return ticks / TICKS_PER_SECOND;
}

function sameKey(value: string, key: string | null) {
  if (key !== value) throw new Error(`the seed assumes ${value} is its own key (the domain gives ${key})`);
}

/**
 * A fresh database with the app's schema (the store's own migrations), `count` verified users and
 * one live access token each, written by PostgreSQL itself from generate_series: no rows cross the
 * wire, so 100,000 users take seconds. Ids come from the identity column in order (1 … count), as
 * sign-up gives them. Every user shares `passwordHash`; token secrets are the run's random prefix
 * plus the user's number (64 url-safe characters, the app's token shape), hashed with SHA-256 hex
 * as the app hashes them. Each token was last used at seeding time, as tokens in steady use are:
 * the app then records a use at most once a minute, not on the first request of each of the
 * sampled tokens (which would make a 5-second read phase measure 2,000 durable writes).
 */
export async function seedPostgres(
  databaseUrl: string | undefined,
  count: number,
  passwordHash: string,
): Promise<Seeded & { url: string }> {
  const { url } = await (await useServer(databaseUrl)).createDatabase();
  await (await createPostgresStore(url)).close();
  sameKey('seed1@bench.example.com', emailKey('seed1@bench.example.com'));
  sameKey('seed1', usernameKey('seed1'));
  const prefix = randomBytes(24).toString('base64url').replace(/[-_]/g, 'x');
  const now = new Date().toISOString();
  const ttl = 1_209_600;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO users (email, email_key, username, username_key, password_hash, email_verified, created, password_changed)
       SELECT 'seed' || i || '@bench.example.com', 'seed' || i || '@bench.example.com', 'seed' || i, 'seed' || i,
              $1, true, $2, $2
       FROM generate_series(0, $3::int - 1) AS i ORDER BY i`,
      [passwordHash, now, count],
    );
    await client.query(
      `INSERT INTO tokens (hash, user_id, kind, created, ttl, expires_at, last_used)
       SELECT encode(sha256(convert_to($1 || lpad(i::text, 32, '0'), 'UTF8')), 'hex'), i + 1, 'access', $2, $3, $4, $2
       FROM generate_series(0, $5::int - 1) AS i ORDER BY i`,
      [prefix, now, ttl, expiryOf(now, ttl), count],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
    const size = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database()) AS bytes',
    );
    const sampleEvery = Math.max(1, Math.floor(count / 2000));
    const emails: string[] = [];
    const tokens: string[] = [];
    for (let index = 0; index < count; index += sampleEvery) {
      emails.push(`seed${index}@bench.example.com`);
      tokens.push(prefix + String(index).padStart(32, '0'));
    }
    return { url, emails, tokens, bytes: Number(size.rows[0]!.bytes) };
  } finally {
    await client.end();
  }
}
