/**
 * The store a run measures (`--store`): how it is seeded, which variables point the server at it,
 * how many app instances may share it, and its figures measured alone. PostgreSQL is a hook for
 * now: the POSTGRES helper fills in `seed` (into DATABASE_URL) and, if wanted, `measureAlone`.
 */
import path from 'node:path';
import type { StoreName } from './options.js';
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
};

const postgres: BenchStore = {
  name: 'postgres',
  maxInstances: 16,
  seed() {
    return Promise.reject(
      new Error(
        '--store postgres: not wired yet (seeding into DATABASE_URL comes with the PostgreSQL store)',
      ),
    );
  },
  measureAlone: () => Promise.resolve(null),
};

export function benchStore(name: StoreName): BenchStore {
  return name === 'postgres' ? postgres : lowdb;
}
