import type {
  ImportedUser,
  ImportOutcome,
  Store,
  UserId,
  UserListQuery,
  UserRecord,
  WriteEffects,
} from '../store/store.js';

export type { ImportedUser, ImportOutcome, UserListQuery };

/**
 * The store records issue 18 needs (STORE-B's FeatureStore, server/store/features.ts). The Store
 * interface does not carry them until every implementation has them, so the domain reaches them
 * through {@link adminStore}; the day Store extends FeatureStore this file shrinks to the check.
 */

/** What the operator's tools need of the store beyond the domain's everyday reads and writes. */
export interface AdminStore {
  /** Disables (every token revoked in the same write when `effects.revoke` says so) or enables. */
  setDisabled(userId: UserId, disabled: boolean, effects?: WriteEffects): Promise<UserRecord>;
  listUsers(query: UserListQuery): Promise<UserRecord[]>;
  /** Keeps each row's id and advances the id sequence past them (and past `nextId - 1`). */
  importUsers(rows: readonly ImportedUser[], options?: { nextId?: number }): Promise<ImportOutcome[]>;
}

/** Whether this store keeps the operator's records (STORE-B's additions have landed in it). */
export function keepsAdminRecords(store: Store): store is Store & AdminStore {
  const candidate = store as Store & Partial<Record<keyof AdminStore, unknown>>;
  return (
    typeof candidate.setDisabled === 'function' &&
    typeof candidate.listUsers === 'function' &&
    typeof candidate.importUsers === 'function'
  );
}

/** The store's admin records; throws when the store has none (a programming error, not input). */
export function adminStore(store: Store): Store & AdminStore {
  if (!keepsAdminRecords(store))
    throw new Error('this store keeps no admin records (issue 18 store records)');
  return store;
}

/**
 * Whether an account is disabled. Read through here so a store whose records do not carry the
 * flag yet answers "no", and every check in the domain reads it the same way.
 */
export function isDisabled(user: UserRecord): boolean {
  return user.disabled === true;
}
