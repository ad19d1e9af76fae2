import type { FeatureStore, ImportedUser, ImportOutcome, UserRecord } from '../store.js';
import type { StoreChange } from './changes.js';
import type { StoreIndexes } from './indexes.js';
import type { Persistence } from './operations.js';

/**
 * The operator's reads and the import (issue 18). The import plans every row against the indexes
 * as the earlier rows left them (applied as it goes, in one synchronous step), then persists the
 * batch once: a 10k-user import is one journal line, not 10k fsyncs.
 */
export function importOperations(
  indexes: StoreIndexes,
  persistence: Persistence,
): Pick<FeatureStore, 'listUsers' | 'importUsers'> {
  return {
    async listUsers({ search, unverified, after, limit }) {
      const needle = search?.toLowerCase();
      const matches: UserRecord[] = [];
      for (const user of indexes.users.values()) {
        if (after !== undefined && user.id <= after) continue;
        if (unverified && user.emailVerified) continue;
        if (
          needle !== undefined &&
          !user.emailKey.toLowerCase().includes(needle) &&
          !(user.usernameKey ?? '').toLowerCase().includes(needle)
        )
          continue;
        matches.push(user);
      }
      return matches.sort((a, b) => a.id - b.id).slice(0, Math.max(0, limit));
    },

    async importUsers(rows, options = {}) {
      persistence.admit();
      const changes: StoreChange[] = [];
      const apply = (change: StoreChange) => {
        indexes.apply(change);
        changes.push(change);
      };
      const outcomes = rows.map((row) => importRow(indexes, row, apply));
      const highest = rows.reduce(
        (max, row) => (Number.isSafeInteger(row.id) ? Math.max(max, row.id) : max),
        0,
      );
      const next = Math.max(highest + 1, options.nextId ?? 1);
      if (next > indexes.nextUserId) apply({ type: 'advanceUserId', next });
      if (changes.length > 0) await persistence.persist(changes);
      return outcomes;
    },
  };
}

/** One row: imported, unchanged (already here: only its new tokens added) or a conflict. */
function importRow(
  indexes: StoreIndexes,
  row: ImportedUser,
  apply: (change: StoreChange) => void,
): ImportOutcome {
  const { tokens, ...fields } = row;
  if (!Number.isSafeInteger(row.id) || row.id < 1) return { id: row.id, outcome: 'conflict', field: 'id' };
  const existing = indexes.users.get(row.id);
  const addTokens = () => {
    for (const token of tokens)
      if (!indexes.tokens.has(token.hash)) apply({ type: 'putToken', token: { ...token, userId: row.id } });
  };
  if (existing) {
    if (existing.emailKey !== row.emailKey) return { id: row.id, outcome: 'conflict', field: 'id' };
    addTokens();
    return { id: row.id, outcome: 'unchanged' };
  }
  if (indexes.userIdByEmailKey.has(row.emailKey)) return { id: row.id, outcome: 'conflict', field: 'email' };
  if (row.usernameKey !== null && indexes.userIdByUsernameKey.has(row.usernameKey))
    return { id: row.id, outcome: 'conflict', field: 'username' };
  const user: UserRecord = {
    ...fields,
    pendingEmail: null,
    pendingEmailKey: null,
    passwordChanged: row.created,
    version: 1,
  };
  apply({ type: 'putUser', user });
  addTokens();
  return { id: row.id, outcome: 'imported' };
}
