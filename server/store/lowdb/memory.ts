import type { FeatureStore, Store } from '../store.js';
import { StoreIndexes } from './indexes.js';
import { createStoreOperations } from './operations.js';

/**
 * A Store that lives in memory only: the lowdb store's indexes and checks without its file.
 * For fast domain tests (it passes the same contract suite); nothing survives `close`.
 */
export function createMemoryStore(): Store & FeatureStore {
  let closed = false;
  const operations = createStoreOperations(new StoreIndexes(), {
    admit() {
      if (closed) throw new Error('The store is closed');
    },
    // A resolved promise still makes the caller wait a turn, as a real write would.
    persist: async () => undefined,
  });
  return {
    ...operations,
    async close() {
      closed = true;
    },
  };
}
