import type {
  ActivityRecord,
  IdentityRecord,
  MailRecord,
  PasskeyRecord,
  TokenKind,
  TokenRecord,
  UserRecord,
} from '../store.js';

/** A users row as pg returns it: bigint as a string, timestamptz as a Date. */
export type UserRow = {
  id: string;
  email: string;
  email_key: string;
  username: string | null;
  username_key: string | null;
  password_hash: string;
  email_verified: boolean;
  pending_email: string | null;
  pending_email_key: string | null;
  created: Date;
  password_changed: Date;
  version: number;
  disabled: boolean;
  totp_secret: string | null;
  totp_last_step: string | null;
  totp_enabled_at: Date | null;
  recovery_code_hashes: string[];
  user_handle: string | null;
};

export type TokenRow = {
  hash: string;
  user_id: string;
  kind: TokenKind;
  created: Date;
  ttl: number;
  expires_at: Date;
  public_id: string | null;
  last_used: Date | null;
  ip: string | null;
  user_agent: string | null;
  session: 'browser' | 'api' | null;
};

export type MailRow = {
  id: string;
  kind: string;
  priority: number;
  recipient: string;
  recipient_key: string;
  user_id: string | null;
  sealed_link: string | null;
  token_hash: string | null;
  params: Record<string, string>;
  created: Date;
  attempts: number;
  next_attempt: Date;
  last_error: string | null;
  claim: string | null;
  claimed_until: Date | null;
};

export type PasskeyRow = {
  credential_id: string;
  user_id: string;
  public_key: string;
  counter: string;
  transports: string[];
  device_type: PasskeyRecord['deviceType'];
  backed_up: boolean;
  name: string;
  created: Date;
  last_used: Date | null;
};

export type IdentityRow = {
  issuer: string;
  subject: string;
  user_id: string;
  provider_id: string;
  email: string | null;
  linked_at: Date;
};

export type ActivityRow = {
  id: string;
  user_id: string;
  at: Date;
  type: string;
  method: string | null;
  ip: string | null;
  device: string | null;
  detail: Record<string, string> | null;
};

const USER_FIELDS = [
  'id',
  'email',
  'email_key',
  'username',
  'username_key',
  'password_hash',
  'email_verified',
  'pending_email',
  'pending_email_key',
  'created',
  'password_changed',
  'version',
  'disabled',
  'totp_secret',
  'totp_last_step',
  'totp_enabled_at',
  'recovery_code_hashes',
  'user_handle',
] as const satisfies readonly (keyof UserRow)[];

export const USER_COLUMNS = USER_FIELDS.join(', ');
export const TOKEN_COLUMNS =
  'hash, user_id, kind, created, ttl, expires_at, public_id, last_used, ip, user_agent, session';
export const PASSKEY_COLUMNS =
  'credential_id, user_id, public_key, counter, transports, device_type, backed_up, name, created, last_used';

/** The user's columns of table alias `u`, each named `u_COLUMN`: for a join that returns both. */
export const JOINED_USER_COLUMNS = USER_FIELDS.map((field) => `u.${field} AS u_${field}`).join(', ');

/** A joined row's user part (the `u_` columns of JOINED_USER_COLUMNS). */
export function joinedUser(row: Record<string, unknown>): UserRecord {
  return toUser(
    Object.fromEntries(USER_FIELDS.map((field) => [field, row[`u_${field}`]])) as unknown as UserRow,
  );
}

const iso = (value: Date | null): string | null => value?.toISOString() ?? null;

/** Ids are bigint in the database; within 2^53 they are exact JavaScript numbers. */
export function toUser(row: UserRow): UserRecord {
  return Object.freeze({
    id: Number(row.id),
    email: row.email,
    emailKey: row.email_key,
    username: row.username,
    usernameKey: row.username_key,
    passwordHash: row.password_hash,
    emailVerified: row.email_verified,
    pendingEmail: row.pending_email,
    pendingEmailKey: row.pending_email_key,
    created: row.created.toISOString(),
    passwordChanged: row.password_changed.toISOString(),
    version: row.version,
    disabled: row.disabled,
    twoFactor: Object.freeze({
      totpSecret: row.totp_secret,
      totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
      totpEnabledAt: iso(row.totp_enabled_at),
      recoveryCodeHashes: Object.freeze([...row.recovery_code_hashes]),
      userHandle: row.user_handle,
    }),
  });
}

/** A token; the metadata columns appear only when set, as on lowdb (a reset token carries none). */
export function toToken(row: TokenRow): TokenRecord {
  return Object.freeze({
    hash: row.hash,
    userId: Number(row.user_id),
    kind: row.kind,
    created: row.created.toISOString(),
    ttl: row.ttl,
    expiresAt: row.expires_at.toISOString(),
    ...(row.public_id === null ? {} : { id: row.public_id }),
    ...(row.last_used === null ? {} : { lastUsed: row.last_used.toISOString() }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    ...(row.user_agent === null ? {} : { userAgent: row.user_agent }),
    ...(row.session === null ? {} : { session: row.session }),
  });
}

export function toMail(row: MailRow): MailRecord {
  return Object.freeze({
    id: Number(row.id),
    kind: row.kind,
    priority: row.priority,
    to: row.recipient,
    toKey: row.recipient_key,
    userId: row.user_id === null ? null : Number(row.user_id),
    sealedLink: row.sealed_link,
    tokenHash: row.token_hash,
    params: Object.freeze({ ...row.params }),
    created: row.created.toISOString(),
    attempts: row.attempts,
    nextAttempt: row.next_attempt.toISOString(),
    lastError: row.last_error,
    claim: row.claim,
    claimedUntil: iso(row.claimed_until),
  });
}

export function toPasskey(row: PasskeyRow): PasskeyRecord {
  return Object.freeze({
    credentialId: row.credential_id,
    userId: Number(row.user_id),
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: Object.freeze([...row.transports]),
    deviceType: row.device_type,
    backedUp: row.backed_up,
    name: row.name,
    created: row.created.toISOString(),
    lastUsed: iso(row.last_used),
  });
}

export function toIdentity(row: IdentityRow): IdentityRecord {
  return Object.freeze({
    userId: Number(row.user_id),
    providerId: row.provider_id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    linkedAt: row.linked_at.toISOString(),
  });
}

/** An activity entry; the optional fields appear only when set, as the domain wrote them. */
export function toActivity(row: ActivityRow): ActivityRecord {
  return Object.freeze({
    id: Number(row.id),
    userId: Number(row.user_id),
    at: row.at.toISOString(),
    type: row.type,
    ...(row.method === null ? {} : { method: row.method }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    ...(row.device === null ? {} : { device: row.device }),
    ...(row.detail === null ? {} : { detail: Object.freeze({ ...row.detail }) }),
  });
}
