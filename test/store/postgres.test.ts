import { after, before } from 'node:test';
import { createPostgresStore } from '../../server/store/postgres/postgres-store.js';
import { type PostgresServer, usePostgres } from '../helpers/postgres.js';
import { runStoreContract, type StoreFactory } from './contract.js';
import { runFeatureContract } from './contract-features.js';

// The same contract as lowdb, race tests included, against a real PostgreSQL server: one fresh
// database per test, so ids start at 1 and no test sees another's rows.
let server: PostgresServer;
before(async () => {
  server = await usePostgres();
});
after(() => server.stop());

/** A fresh database per test, so ids start at 1 and no test sees another's rows. */
async function freshDatabase(): Promise<StoreFactory> {
  const database = await server.createDatabase();
  return {
    open: () => createPostgresStore(database.url),
    async reopen(store) {
      await store.close();
      return createPostgresStore(database.url);
    },
    cleanup: () => database.drop(),
  };
}

runStoreContract('PostgreSQL', freshDatabase);
runFeatureContract('PostgreSQL', freshDatabase);
