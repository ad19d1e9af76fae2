import type {
  ActivityRecord,
  IdentityRecord,
  MailRecord,
  PasskeyRecord,
  TokenRecord,
  UserRecord,
} from '../store.js';

/**
 * Record validation for what is read back from disk (snapshot and journal). Hand-written rather
 * than zod: 200k records must check in milliseconds at start. Every field the code reads is
 * checked, so a damaged record is a clear StoreCorruptError at start, never a TypeError later (or
 * a token whose NaN expiry never comes).
 */

type FieldCheck = (value: unknown) => boolean;

const isString = (value: unknown): value is string => typeof value === 'string';
// The form toISOString writes (every instant the store itself stores), with fields in range and
// days up to 28 so every match is a real date: ~5× cheaper than Date.parse, which at 100k users
// checks 400k instants at start (issue 15's start-up profile). Any other text is parsed.
const PLAIN_INSTANT =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const isInstant = (value: unknown) =>
  isString(value) && (PLAIN_INSTANT.test(value) || !Number.isNaN(Date.parse(value)));
const isId = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 1;
const orNull =
  (check: FieldCheck): FieldCheck =>
  (value) =>
    value === null || check(value);
const optional =
  (check: FieldCheck): FieldCheck =>
  (value) =>
    value === undefined || check(value);
const isStringList = (value: unknown) => Array.isArray(value) && value.every(isString);
const isTwoFactor = (value: unknown) => {
  const state = value as Record<string, unknown> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    orNull(isString)(state.totpSecret) &&
    orNull((step) => Number.isSafeInteger(step))(state.totpLastStep) &&
    orNull(isInstant)(state.totpEnabledAt) &&
    isStringList(state.recoveryCodeHashes) &&
    orNull(isString)(state.userHandle)
  );
};
const TOKEN_KINDS = new Set(['access', 'reset', 'verify', 'email-confirm', 'email-cancel', 'mfa']);

const userFields: Record<keyof UserRecord, FieldCheck> = {
  id: isId,
  email: isString,
  emailKey: isString,
  username: orNull(isString),
  usernameKey: orNull(isString),
  passwordHash: isString,
  emailVerified: (value) => typeof value === 'boolean',
  pendingEmail: orNull(isString),
  pendingEmailKey: orNull(isString),
  created: isInstant,
  passwordChanged: isInstant,
  version: isId,
  disabled: optional((value) => typeof value === 'boolean'),
  twoFactor: optional(isTwoFactor),
};
const tokenFields: Record<keyof TokenRecord, FieldCheck> = {
  hash: isString,
  userId: isId,
  kind: (value) => TOKEN_KINDS.has(value as string),
  created: isInstant,
  ttl: (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
  expiresAt: isInstant,
  id: optional(isString),
  lastUsed: optional(orNull(isInstant)),
  ip: optional(orNull(isString)),
  userAgent: optional(orNull(isString)),
  session: optional((value) => value === 'browser' || value === 'api'),
};
const mailFields: Record<keyof MailRecord, FieldCheck> = {
  id: isId,
  kind: isString,
  priority: (value) => typeof value === 'number' && Number.isFinite(value),
  to: isString,
  toKey: isString,
  userId: orNull(isId),
  sealedLink: orNull(isString),
  tokenHash: orNull(isString),
  params: (value) =>
    typeof value === 'object' && value !== null && Object.values(value).every((item) => isString(item)),
  created: isInstant,
  attempts: (value) => Number.isSafeInteger(value),
  nextAttempt: isInstant,
  lastError: orNull(isString),
  claim: orNull(isString),
  claimedUntil: orNull(isInstant),
};

const passkeyFields: Record<keyof PasskeyRecord, FieldCheck> = {
  credentialId: isString,
  userId: isId,
  publicKey: isString,
  counter: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
  transports: isStringList,
  deviceType: (value) => value === 'singleDevice' || value === 'multiDevice',
  backedUp: (value) => typeof value === 'boolean',
  name: isString,
  created: isInstant,
  lastUsed: orNull(isInstant),
};
const identityFields: Record<keyof IdentityRecord, FieldCheck> = {
  userId: isId,
  providerId: isString,
  issuer: isString,
  subject: isString,
  email: orNull(isString),
  linkedAt: isInstant,
};
const activityFields: Record<keyof ActivityRecord, FieldCheck> = {
  id: isId,
  userId: isId,
  at: isInstant,
  type: isString,
  method: optional(isString),
  ip: optional(isString),
  device: optional(isString),
  detail: optional(
    (value) =>
      typeof value === 'object' && value !== null && Object.values(value).every((item) => isString(item)),
  ),
};

/**
 * A checker for one record type. Its body is written out from the field table once, one line per
 * field (`if (!checks[3](record["email"]))`), rather than a loop over the table: in a loop every
 * record's every field goes through the same call and the same computed property read, which V8
 * cannot specialise (measured at 100k users: ~60 ms for the users alone, ~15 ms written out; issue
 * 15's start-up profile). The text holds only this file's own field names, as JSON strings.
 */
function recordChecker(what: string, fields: Record<string, FieldCheck>): (value: unknown) => string | null {
  const names = Object.keys(fields);
  const checks = Object.values(fields);
  const lines = names.map(
    (name, index) => `if (!checks[${index}](record[${JSON.stringify(name)}])) return ${index};`,
  );
  const firstBadField = new Function(
    'checks',
    `return function firstBadField(record) { ${lines.join(' ')} return -1; };`,
  )(checks) as (record: Record<string, unknown>) => number;
  return (value) => {
    if (typeof value !== 'object' || value === null) return `a ${what} is not an object`;
    const bad = firstBadField(value as Record<string, unknown>);
    return bad === -1 ? null : `a ${what} has a missing or malformed "${names[bad]}"`;
  };
}

/** Why a user record cannot be one, or null when it looks right. */
export const userProblem = recordChecker('user', userFields);
/** Why a token record cannot be one, or null when it looks right. */
export const tokenProblem = recordChecker('token', tokenFields);
/** Why a mail record cannot be one, or null when it looks right. */
export const mailProblem = recordChecker('mail', mailFields);
/** Why a passkey record cannot be one, or null when it looks right. */
export const passkeyProblem = recordChecker('passkey', passkeyFields);
/** Why an identity record cannot be one, or null when it looks right. */
export const identityProblem = recordChecker('identity', identityFields);
/** Why an activity entry cannot be one, or null when it looks right. */
export const activityProblem = recordChecker('activity entry', activityFields);
