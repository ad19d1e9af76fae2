import type { ActivityRecord, IdentityRecord, PasskeyRecord, UserId } from '../store.js';
import type { StoreChange } from './changes.js';

/** The changes this index applies (the Stage B records). */
export type FeatureChange = Extract<
  StoreChange,
  {
    type:
      | 'putPasskey'
      | 'deletePasskey'
      | 'putIdentity'
      | 'deleteIdentity'
      | 'putActivity'
      | 'deleteActivity';
  }
>;

/** The key of an identity: issuer and subject, joined by a byte neither contains. */
export const identityKey = (issuer: string, subject: string): string => `${issuer}\u0000${subject}`;

/** Adds `value` to the set under `key`, creating it. */
function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  set?.delete(value);
  if (set?.size === 0) map.delete(key);
}

/**
 * The Stage B records in memory: passkeys by credential id, identities by (issuer, subject),
 * activity by id, each also by user so a user's list and deleteUser's cascade scan nothing else,
 * and access tokens by their public id (issue 14's `:fk`).
 */
export class FeatureIndexes {
  readonly passkeys = new Map<string, PasskeyRecord>();
  private readonly passkeyIdsByUser = new Map<UserId, Set<string>>();
  readonly identities = new Map<string, IdentityRecord>();
  private readonly identityKeysByUser = new Map<UserId, Set<string>>();
  readonly activity = new Map<number, ActivityRecord>();
  // Ids are appended in increasing order, so a Set's insertion order is the id order.
  private readonly activityIdsByUser = new Map<UserId, Set<number>>();
  readonly tokenHashById = new Map<string, string>();
  nextActivityId = 1;

  passkeysOf(userId: UserId): PasskeyRecord[] {
    return [...(this.passkeyIdsByUser.get(userId) ?? [])]
      .flatMap((id) => this.passkeys.get(id) ?? [])
      .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  identitiesOf(userId: UserId): IdentityRecord[] {
    return [...(this.identityKeysByUser.get(userId) ?? [])]
      .flatMap((key) => this.identities.get(key) ?? [])
      .sort((a, b) => (a.linkedAt < b.linkedAt ? -1 : a.linkedAt > b.linkedAt ? 1 : 0));
  }

  /** The user's activity ids, oldest first. */
  activityIdsOf(userId: UserId): number[] {
    return [...(this.activityIdsByUser.get(userId) ?? [])].sort((a, b) => a - b);
  }

  apply(change: FeatureChange): void {
    switch (change.type) {
      case 'putPasskey': {
        const previous = this.passkeys.get(change.passkey.credentialId);
        if (previous) removeFrom(this.passkeyIdsByUser, previous.userId, previous.credentialId);
        this.passkeys.set(change.passkey.credentialId, change.passkey);
        addTo(this.passkeyIdsByUser, change.passkey.userId, change.passkey.credentialId);
        return;
      }
      case 'deletePasskey': {
        const previous = this.passkeys.get(change.credentialId);
        if (!previous) return;
        this.passkeys.delete(change.credentialId);
        removeFrom(this.passkeyIdsByUser, previous.userId, previous.credentialId);
        return;
      }
      case 'putIdentity': {
        const key = identityKey(change.identity.issuer, change.identity.subject);
        const previous = this.identities.get(key);
        if (previous) removeFrom(this.identityKeysByUser, previous.userId, key);
        this.identities.set(key, change.identity);
        addTo(this.identityKeysByUser, change.identity.userId, key);
        return;
      }
      case 'deleteIdentity': {
        const key = identityKey(change.issuer, change.subject);
        const previous = this.identities.get(key);
        if (!previous) return;
        this.identities.delete(key);
        removeFrom(this.identityKeysByUser, previous.userId, key);
        return;
      }
      case 'putActivity':
        this.activity.set(change.entry.id, change.entry);
        addTo(this.activityIdsByUser, change.entry.userId, change.entry.id);
        if (change.entry.id >= this.nextActivityId) this.nextActivityId = change.entry.id + 1;
        return;
      case 'deleteActivity': {
        const previous = this.activity.get(change.id);
        if (!previous) return;
        this.activity.delete(change.id);
        removeFrom(this.activityIdsByUser, previous.userId, change.id);
        return;
      }
    }
  }

  /** deleteUser's cascade: the user's passkeys, identities and activity go with them. */
  deleteUser(userId: UserId): void {
    for (const id of [...(this.passkeyIdsByUser.get(userId) ?? [])])
      this.apply({ type: 'deletePasskey', credentialId: id });
    for (const key of [...(this.identityKeysByUser.get(userId) ?? [])]) {
      const identity = this.identities.get(key);
      if (identity)
        this.apply({ type: 'deleteIdentity', issuer: identity.issuer, subject: identity.subject });
    }
    for (const id of [...(this.activityIdsByUser.get(userId) ?? [])])
      this.apply({ type: 'deleteActivity', id });
  }
}
