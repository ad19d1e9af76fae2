import type { ActivityRecord, FeatureEffects, NewActivity, UserId, UserRecord } from '../store.js';
import type { StoreChange } from './changes.js';
import type { StoreIndexes } from './indexes.js';
import { type Plan, planUserWrite } from './user-writes.js';

/**
 * Planning for the Stage B writes: a user write with its WriteEffects (user-writes.ts) plus the
 * activity entries that land in the same step, and the per-account cap on activity.
 */

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

/**
 * planUserWrite with `effects.activity`. `update` null leaves the record (and its version) as it
 * is; a function builds the new record and bumps the version.
 */
export function planFeatureWrite(
  indexes: StoreIndexes,
  userId: UserId,
  effects: FeatureEffects,
  update: ((user: UserRecord) => Omit<UserRecord, 'version'>) | null,
): Plan {
  const { activity, ...rest } = effects;
  const plan = planUserWrite(indexes, userId, rest, update);
  if (activity)
    plan.changes.push(...activityChanges(indexes, userId, activity.entries, activity.keepAtMost).changes);
  return plan;
}

/** A version bump and nothing else: for writes whose change is in another record (a passkey). */
export const touchUser = (user: UserRecord): Omit<UserRecord, 'version'> => ({ ...user });
