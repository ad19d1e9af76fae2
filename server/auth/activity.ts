import type { ActivityRecord, NewActivity, UserId } from '../store/store.js';
import { StoreConflictError } from '../store/store.js';
import type { AuthDeps } from './types.js';

/**
 * The account's security activity (issue 14): an append-only log of what happened to it, shown to
 * its owner only. Every feature records its events through {@link recordActivity} so the log has
 * one shape, one cap and one retention rule. An entry never holds a secret: no password, token,
 * link or code, only what happened, how, from where and on which device.
 */

/** The event types every feature uses (published in /work/team/ACTIVITY-API.md). */
export const ACTIVITY_TYPES = [
  'login', // a sign-in that issued a session (method: password | passkey | totp | recovery-code | oidc)
  'login-failed', // a sign-in refused for this account (method as above)
  'logout',
  'session-revoked', // one session ended from the sessions page or the API (detail.session = its id)
  'sessions-revoked', // "log out everywhere else" (detail.count)
  'password-changed',
  'password-reset', // set through an emailed reset link
  'reset-link-printed', // an operator printed a reset link (issue 18)
  'email-change-requested', // detail.email = the pending address
  'email-change-cancelled',
  'email-changed', // detail.from / detail.to
  'email-verified',
  'two-factor-on',
  'two-factor-off',
  'recovery-codes-generated',
  'recovery-code-used',
  'passkey-added', // detail.name
  'passkey-removed',
  'identity-linked', // detail.provider
  'identity-unlinked',
  'account-disabled',
  'account-enabled',
  'account-deleted', // kept only until the deletion removes the log with the account
] as const;

export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** One event as a feature reports it; the time comes from the domain's clock. */
export type ActivityEntry = {
  type: ActivityType;
  /** How: password, passkey, totp, recovery-code, oidc, api, page, admin. */
  method?: string;
  /** The client address (already stripped of its port by the web layer). */
  ip?: string;
  /** A readable device name ("Firefox on Linux"): server/auth/devices.ts `deviceName`. */
  device?: string;
  /** Short non-secret facts (an address, a passkey's name, a count). */
  detail?: Record<string, string>;
};

/** Defaults for the settings (server/config.ts: SECURITY_LOG_DAYS, SECURITY_LOG_MAX). */
export const DEFAULT_SECURITY_LOG_DAYS = 90;
export const DEFAULT_SECURITY_LOG_MAX = 1000;

/** Longest string kept in any field: a flood of long user agents must not grow the log either. */
const MAX_FIELD = 200;

function logSettings(deps: AuthDeps): { securityLogDays: number; securityLogMax: number } {
  const settings = deps.settings;
  return {
    securityLogDays: settings.securityLogDays ?? DEFAULT_SECURITY_LOG_DAYS,
    securityLogMax: settings.securityLogMax ?? DEFAULT_SECURITY_LOG_MAX,
  };
}

function clip(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value.length > MAX_FIELD ? value.slice(0, MAX_FIELD) : value;
}

/** The stored shape of an entry: clipped, empty fields left out, stamped with the clock's time. */
export function toNewActivity(deps: AuthDeps, entry: ActivityEntry): NewActivity {
  const detail: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.detail ?? {}).slice(0, 8)) {
    const kept = clip(value);
    if (kept !== undefined) detail[key.slice(0, 40)] = kept;
  }
  const method = clip(entry.method);
  const ip = clip(entry.ip);
  const device = clip(entry.device);
  return {
    at: deps.clock.now().toISOString(),
    type: entry.type,
    ...(method === undefined ? {} : { method }),
    ...(ip === undefined ? {} : { ip }),
    ...(device === undefined ? {} : { device }),
    ...(Object.keys(detail).length === 0 ? {} : { detail }),
  };
}

/**
 * The cap for a write that appends its entry atomically with the change it records
 * (FeatureEffects.activity): `{ activity: activityEffect(deps, entry) }`.
 */
export function activityEffect(
  deps: AuthDeps,
  ...entries: ActivityEntry[]
): { entries: NewActivity[]; keepAtMost: number } {
  return {
    entries: entries.map((entry) => toNewActivity(deps, entry)),
    keepAtMost: logSettings(deps).securityLogMax,
  };
}

/**
 * Appends one event to the account's log, keeping at most SECURITY_LOG_MAX entries (the oldest go),
 * so a flood of failed sign-ins cannot grow it without bound. An account deleted meanwhile records
 * nothing: the event the
 * caller reports has already happened, and its flow must not fail for the log's sake.
 */
export async function recordActivity(deps: AuthDeps, userId: UserId, entry: ActivityEntry): Promise<void> {
  try {
    await deps.store.appendActivity(userId, [toNewActivity(deps, entry)], {
      keepAtMost: logSettings(deps).securityLogMax,
    });
  } catch (error) {
    if (error instanceof StoreConflictError && error.field === 'user') return;
    throw error;
  }
}

/** A page of the account's log, newest first; `before` is the last id of the previous page. */
export async function listActivity(
  deps: AuthDeps,
  userId: UserId,
  query: { before?: number; limit: number },
): Promise<ActivityRecord[]> {
  const limit = Math.max(1, Math.min(100, Math.trunc(query.limit)));
  return deps.store.listActivity(userId, {
    ...(query.before === undefined ? {} : { before: query.before }),
    limit,
  });
}

/** Deletes every entry older than SECURITY_LOG_DAYS; returns how many went (run on a timer). */
export async function sweepActivity(deps: AuthDeps): Promise<number> {
  const days = logSettings(deps).securityLogDays;
  const olderThan = new Date(deps.clock.now().getTime() - days * 24 * 60 * 60 * 1000);
  return deps.store.sweepActivity(olderThan);
}
