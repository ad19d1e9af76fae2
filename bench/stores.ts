/**
 * The store a run measures (`--store`): how it is seeded, which variables point the server at it,
 * how many app instances may share it, its figures measured alone, and (PostgreSQL) its own CPU.
 */
import path from 'node:path';
import type { StoreName } from './options.js';
import { databaseCpuSeconds, seedPostgres, stopPostgres } from './postgres.js';
import { type Seeded, writeSeedFile } from './seed.js';
import { measureLowdbAlone, type StoreFigures } from './store-alone.js';

export type SeededStore = Seeded & {
  /** Variables the server needs to open this store. */
  env: Record<string, string>;
  /** Size of what was written (the snapshot file), in bytes, or null. */
  bytes: number | null;
};

export type BenchStore = {
  name: StoreName;
  /** App processes that may run on it at once (lowdb's data lock allows one). */
  maxInstances: number;
  /** Seeds `users` verified users with one live access token each, sharing `passwordHash`. */
  seed(dir: string, users: number, passwordHash: string): Promise<SeededStore>;
  /** Figures of the store without the app, after the server stopped; null if none. */
  measureAlone(seeded: SeededStore, dir: string): Promise<StoreFigures | null>;
  /** CPU seconds a database server has used so far (it runs beside the app), or null when none. */
  cpuSeconds(): Promise<number | null>;
  /** Stops what the store started for the run. */
  close(): Promise<void>;
};

const lowdb: BenchStore = {
  name: 'lowdb',
  maxInstances: 1,
  async seed(dir, users, passwordHash) {
    const dbFile = path.join(dir, 'db.json');
    const seeded = await writeSeedFile(dbFile, users, passwordHash);
    return { ...seeded, env: { DB_FILE: dbFile } };
  },
  measureAlone: (seeded, dir) => measureLowdbAlone(seeded.env.DB_FILE!, dir),
  cpuSeconds: async () => null,
  close: async () => undefined,
};

const postgres: BenchStore = {
  name: 'postgres',
  maxInstances: 16,
  async seed(_dir, users, passwordHash) {
    // The bench reads DATABASE_URL as the caller's server (the app reads it through config.ts).
    const { url, ...seeded } = await seedPostgres(process.env.DATABASE_URL, users, passwordHash);
    return { ...seeded, env: { DATABASE_URL: url } };
  },
  measureAlone: () => Promise.resolve(null),
  cpuSeconds: databaseCpuSeconds,
  close: stopPostgres,
};

export function benchStore(name: StoreName): BenchStore {
  return name === 'postgres' ? postgres : lowdb;
}
