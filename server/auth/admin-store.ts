import type { NewToken, NewUser, Store, UserId, UserRecord, WriteEffects } from '../store/store.js';

/**
 * The store records issue 18 needs, as requested from STORE-B (/work/team/STORE-B-REQUESTS.md).
 * The domain reaches them only through {@link adminStore}, so the day the Store interface carries
 * them this file shrinks to type re-exports and nothing else moves.
 */

/** A user to import with the id, hash, verified flag and live tokens it had elsewhere. */
export type ImportedUser = NewUser & { id: UserId; tokens: readonly NewToken[] };

/** What became of one imported row: the store never throws for a row. */
export type ImportOutcome =
  | { id: UserId; outcome: 'imported' | 'unchanged' }
  | { id: UserId; outcome: 'conflict'; field: 'id' | 'email' | 'username' };

/** A page of users for the operator: by id ascending, `after` the last id of the previous page. */
export type UserListQuery = { search?: string; unverified?: boolean; after?: UserId; limit: number };

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
  return (user as UserRecord & { disabled?: boolean }).disabled === true;
}
