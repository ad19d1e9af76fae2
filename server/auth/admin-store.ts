import type { ImportedUser, ImportOutcome, UserListQuery, UserRecord } from '../store/store.js';

/** The store's operator records (issue 18), as the domain names them. */
export type { ImportedUser, ImportOutcome, UserListQuery };

/**
 * Whether an account is disabled. Read through here so a record written before the flag existed
 * (a Stage A lowdb file) answers "no", and every check in the domain reads it the same way.
 */
export function isDisabled(user: UserRecord): boolean {
  return user.disabled === true;
}
