import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StoreCorruptError } from '../store.js';
import { connectListening } from './pool.js';

/** One step of the schema. Never edit one that has shipped: add the next version instead. */
export type Migration = Readonly<{ version: number; name: string; sql: string }>;

/**
 * Every instance runs the migrations at start; this session-level advisory lock makes the others
 * wait while one applies them, so two instances starting together never apply a step twice.
 * The number is arbitrary but fixed: it names "this app's schema" within the database.
 */
export const MIGRATION_LOCK_KEY = 7_425_310_001;

function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

/**
 * Brings the schema up to the newest of `migrations`, each step in its own transaction, recorded
 * in `schema_migrations` with a checksum of its SQL. Refuses (StoreCorruptError, one clear line)
 * a database migrated by a newer version of the app, or one whose applied step differs from ours
 * (an edited migration would silently leave two schemas that share a version number).
 * Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  let failure: unknown;
  // The server ending this connection between two statements is an 'error' event on the client,
  // which would crash the process unheard: it fails the run instead (see pool.ts).
  const noteFailure = (error: Error) => {
    failure ??= error;
  };
  const client = await connectListening(pool, noteFailure);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const applied = await client.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations ORDER BY version',
      );
      const known = new Map(ordered.map((migration) => [migration.version, migration]));
      for (const row of applied.rows) {
        const ours = known.get(row.version);
        if (!ours) {
          throw new StoreCorruptError(
            `the database schema has migration ${row.version}, which this version of the app does not know (was it migrated by a newer release?)`,
          );
        }
        if (checksum(ours) !== row.checksum) {
          throw new StoreCorruptError(
            `the database's migration ${row.version} (${ours.name}) differs from this app's: refusing to guess which schema is right`,
          );
        }
      }
      const done = new Set(applied.rows.map((row) => row.version));
      const ran: number[] = [];
      for (const migration of ordered) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            checksum(migration),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
        ran.push(migration.version);
      }
      return ran;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // A failed run discards its connection: that also ends the session and so frees the lock.
    client.removeListener('error', noteFailure);
    client.release(failure instanceof Error ? failure : undefined);
  }
}
