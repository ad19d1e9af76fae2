import {
  type ActivityRecord,
  type CreationEffects,
  type MailRecord,
  type NewActivity,
  type NewMail,
  type NewToken,
  type NewUser,
  StoreConflictError,
  type TokenRecord,
  type TokenSelection,
  type UserId,
  type UserRecord,
  type WriteEffects,
} from '../store.js';
import type { StoreChange } from './changes.js';
import type { StoreIndexes } from './indexes.js';

/**
 * Turns the domain's named writes into the journal's changes, after checking every guard and
 * uniqueness rule against the indexes as they stand now. Planning and applying happen in one
 * synchronous step (operations.ts), so no other write can land between the check and the change:
 * that is what makes a spent token spent exactly once.
 */

/** A mail as queued: ids are handed out in order, from the indexes' counter. */
export function queuedMail(
  indexes: StoreIndexes,
  mail: NewMail,
  offset: number,
  userId: UserId | null,
): MailRecord {
  return {
    ...mail,
    id: indexes.nextMailId + offset,
    userId,
    attempts: 0,
    nextAttempt: mail.nextAttempt ?? mail.created,
    lastError: null,
    claim: null,
    claimedUntil: null,
  };
}

/** Throws StoreConflictError when `user`'s email or username key belongs to someone else. */
export function checkUnique(indexes: StoreIndexes, user: UserRecord): void {
  const emailOwner = indexes.userIdByEmailKey.get(user.emailKey);
  if (emailOwner !== undefined && emailOwner !== user.id) throw new StoreConflictError('email');
  if (user.usernameKey !== null) {
    const usernameOwner = indexes.userIdByUsernameKey.get(user.usernameKey);
    if (usernameOwner !== undefined && usernameOwner !== user.id) throw new StoreConflictError('username');
  }
}

/** The hashes of the user's tokens that `selection` picks. */
export function selectTokens(indexes: StoreIndexes, userId: UserId, selection: TokenSelection): string[] {
  const only = selection.hashes ? new Set(selection.hashes) : null;
  return indexes.tokenHashesOf(userId).filter((hash) => {
    const token = indexes.tokens.get(hash);
    if (!token || hash === selection.except) return false;
    if (only && !only.has(hash)) return false;
    return !selection.kinds || selection.kinds.includes(token.kind);
  });
}

/** The user, if `guard` still holds of it; StoreConflictError('user') otherwise. */
export function guardedUser(indexes: StoreIndexes, userId: UserId, guard: WriteEffects['guard']): UserRecord {
  const user = indexes.users.get(userId);
  if (!user) throw new StoreConflictError('user');
  if (guard?.version !== undefined && guard.version !== user.version) throw new StoreConflictError('user');
  if (guard?.passwordHash !== undefined && guard.passwordHash !== user.passwordHash)
    throw new StoreConflictError('user');
  return user;
}

/** The outcome of planning a user write: the changes to apply and the records they produce. */
export type Plan = { changes: StoreChange[]; user: UserRecord; issued: TokenRecord[] };

/**
 * Plans a write to one user: `update` builds the new record from the current one (or null to
 * leave it), then the effects in their documented order. Everything is checked before anything
 * is built, so a refused write changes nothing (and hands out no id).
 */
export function planUserWrite(
  indexes: StoreIndexes,
  userId: UserId,
  effects: WriteEffects & { keepAtMost?: number },
  update: ((user: UserRecord) => Omit<UserRecord, 'version'>) | null,
): Plan {
  const current = guardedUser(indexes, userId, effects.guard);
  const spent = effects.spend ? indexes.tokens.get(effects.spend.hash) : undefined;
  if (effects.spend && (spent?.userId !== userId || spent.kind !== effects.spend.kind))
    throw new StoreConflictError('token');
  // A public token id names one token: a second one with it could never be revoked by it.
  for (const token of effects.issue ?? [])
    if (token.id !== undefined && indexes.features.tokenHashById.has(token.id))
      throw new StoreConflictError('token');
  const user = update ? { ...update(current), version: current.version + 1 } : current;
  if (update) checkUnique(indexes, user);

  const changes: StoreChange[] = [];
  const gone = new Set<string>();
  if (spent) {
    changes.push({ type: 'deleteToken', hash: spent.hash });
    gone.add(spent.hash);
  }
  if (update) changes.push({ type: 'putUser', user });
  for (const hash of effects.revoke ? selectTokens(indexes, userId, effects.revoke) : []) {
    if (gone.has(hash)) continue;
    changes.push({ type: 'deleteToken', hash });
    gone.add(hash);
  }
  const issued = (effects.issue ?? []).map((token): TokenRecord => ({ ...token, userId }));
  for (const token of issued) changes.push({ type: 'putToken', token });
  if (effects.keepAtMost !== undefined) {
    for (const hash of oldestBeyond(indexes, userId, issued, gone, effects.keepAtMost))
      changes.push({ type: 'deleteToken', hash });
  }
  (effects.mail ?? []).forEach((mail, index) => {
    changes.push({ type: 'putMail', mail: queuedMail(indexes, mail, index, userId) });
  });
  if (effects.activity) {
    const { entries, keepAtMost } = effects.activity;
    changes.push(...activityChanges(indexes, userId, entries, keepAtMost).changes);
  }
  return { changes, user, issued };
}

/** The changes that append `entries` for the user and drop the oldest beyond `keepAtMost`. */
export function activityChanges(
  indexes: StoreIndexes,
  userId: UserId,
  entries: readonly NewActivity[],
  keepAtMost: number,
): { changes: StoreChange[]; appended: ActivityRecord[] } {
  const first = indexes.features.nextActivityId;
  const fresh = entries.map((entry, index): ActivityRecord => ({ ...entry, id: first + index, userId }));
  const held = indexes.features.activityIdsOf(userId);
  const excess = Math.max(0, held.length + fresh.length - Math.max(0, keepAtMost));
  const changes: StoreChange[] = held.slice(0, excess).map((id) => ({ type: 'deleteActivity', id }));
  // When even the new entries exceed the cap, the oldest of them are never written.
  const appended = fresh.slice(Math.max(0, excess - held.length));
  for (const entry of appended) changes.push({ type: 'putActivity', entry });
  return { changes, appended };
}

/** The tokens to delete so the user keeps at most `keep` of each issued token's kind, oldest first. */
function oldestBeyond(
  indexes: StoreIndexes,
  userId: UserId,
  issued: readonly TokenRecord[],
  gone: ReadonlySet<string>,
  keep: number,
): string[] {
  const doomed: string[] = [];
  for (const kind of new Set(issued.map((token) => token.kind))) {
    const held = [
      ...indexes.tokensOf(userId).filter((token) => token.kind === kind && !gone.has(token.hash)),
      ...issued.filter((token) => token.kind === kind),
    ];
    for (const token of held.slice(0, Math.max(0, held.length - keep))) doomed.push(token.hash);
  }
  return doomed;
}

/** A new token's record as stored, for callers that build one outside a plan. */
export function tokenOf(userId: UserId, token: NewToken): TokenRecord {
  return { ...token, userId };
}

/**
 * Plans a new account: its record (the next id), the uniqueness checks, and the journal changes of
 * the effects that come with it (its first tokens, mail and activity), so every way of creating a
 * user (createUser, createUserWithIdentity) checks and writes the same.
 */
export function planNewUser(
  indexes: StoreIndexes,
  input: NewUser,
  effects: ((id: UserId) => CreationEffects) | undefined,
): { user: UserRecord; changes: StoreChange[] } {
  const id = indexes.nextUserId;
  const user: UserRecord = {
    ...input,
    id,
    pendingEmail: null,
    pendingEmailKey: null,
    passwordChanged: input.created,
    version: 1,
  };
  checkUnique(indexes, user);
  const extra = effects?.(id) ?? {};
  if (
    (extra.issue ?? []).some(
      (token) => token.id !== undefined && indexes.features.tokenHashById.has(token.id),
    )
  )
    throw new StoreConflictError('token');
  const changes: StoreChange[] = [{ type: 'putUser', user }];
  for (const token of extra.issue ?? []) changes.push({ type: 'putToken', token: { ...token, userId: id } });
  (extra.mail ?? []).forEach((mail, index) => {
    changes.push({ type: 'putMail', mail: queuedMail(indexes, mail, index, id) });
  });
  if (extra.activity) {
    const { entries, keepAtMost } = extra.activity;
    changes.push(...activityChanges(indexes, id, entries, keepAtMost).changes);
  }
  return { user, changes };
}
