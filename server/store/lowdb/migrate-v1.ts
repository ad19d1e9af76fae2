import type { MailRecord, TokenRecord, UserRecord } from '../store.js';
import { expiryOf } from '../store.js';

/**
 * Files of version 1 (string UUID ids, no stored keys or expiry) are migrated at start rather
 * than refused: a person upgrading keeps every account. Ids become 1, 2, 3 … in order of
 * creation (LoopBack 3's default), and the old ids appear nowhere in what is served:
 *
 * - tokens follow their user to the new id; tokens of a user the file does not hold are dropped;
 * - queued verification mail is dropped, because its link names the user by the old id (the
 *   person can ask for a new link); other queued mail is kept, with no token to check;
 * - the email/username keys are computed with `keys` (server.ts passes the domain's rule).
 *
 * The caller keeps a copy of the old file beside the new one (`db.json.v1-backup`) and refuses a
 * version-1 file that still has journal files beside it (see snapshot.ts).
 */

/** How the domain turns an email or a username into its matching key. */
export type MigrationKeys = { emailKey(email: string): string; usernameKey(username: string): string };

type FieldCheck = (value: unknown) => boolean;
const isString = (value: unknown): value is string => typeof value === 'string';
const isInstant = (value: unknown) => isString(value) && !Number.isNaN(Date.parse(value));
const v1Fields: Record<string, Record<string, FieldCheck>> = {
  user: {
    id: isString,
    email: isString,
    username: (value) => value === null || isString(value),
    passwordHash: isString,
    emailVerified: (value) => typeof value === 'boolean',
    created: isInstant,
    passwordChanged: isInstant,
  },
  token: {
    hash: isString,
    userId: isString,
    kind: (value) => value === 'access' || value === 'reset' || value === 'verify',
    created: isInstant,
    ttl: (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
  },
  mail: {
    id: isString,
    kind: isString,
    to: isString,
    sealedLink: isString,
    created: isInstant,
    attempts: (value) => Number.isSafeInteger(value),
    nextAttempt: isInstant,
    lastError: (value) => value === null || isString(value),
  },
};

/** Why a version-1 file cannot be migrated, or null. */
export function v1Problem(data: Record<string, unknown>): string | null {
  for (const [section, what] of [
    ['users', 'user'],
    ['tokens', 'token'],
    ['mails', 'mail'],
  ] as const) {
    const records = data[section];
    if (!Array.isArray(records)) return `"${section}" is not a list`;
    const fields = v1Fields[what] ?? {};
    for (const record of records as unknown[]) {
      if (typeof record !== 'object' || record === null) return `a ${what} is not an object`;
      for (const [field, check] of Object.entries(fields)) {
        if (!check((record as Record<string, unknown>)[field]))
          return `a ${what} has a missing or malformed "${field}"`;
      }
    }
  }
  return null;
}

type V1User = Omit<
  UserRecord,
  'id' | 'emailKey' | 'usernameKey' | 'pendingEmail' | 'pendingEmailKey' | 'version'
> & {
  id: string;
};
type V1Token = Omit<TokenRecord, 'userId' | 'expiresAt'> & { userId: string };
type V1Mail = { id: string; kind: string; to: string; sealedLink: string; created: string } & Pick<
  MailRecord,
  'attempts' | 'nextAttempt' | 'lastError'
>;

/** The records of a checked version-1 file, as version 2 records. */
export function migrateV1(
  data: { users: V1User[]; tokens: V1Token[]; mails: V1Mail[] },
  keys: MigrationKeys,
): { users: UserRecord[]; tokens: TokenRecord[]; mails: MailRecord[] } {
  // A stable sort: users created in the same millisecond keep the file's order.
  const ordered = [...data.users].sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
  const newId = new Map<string, number>();
  const users = ordered.map((user, index): UserRecord => {
    newId.set(user.id, index + 1);
    return {
      id: index + 1,
      email: user.email,
      emailKey: keys.emailKey(user.email),
      username: user.username,
      usernameKey: user.username === null ? null : keys.usernameKey(user.username),
      passwordHash: user.passwordHash,
      emailVerified: user.emailVerified,
      pendingEmail: null,
      pendingEmailKey: null,
      created: user.created,
      passwordChanged: user.passwordChanged,
      version: 1,
    };
  });
  const tokens = data.tokens.flatMap((token): TokenRecord[] => {
    const userId = newId.get(token.userId);
    if (userId === undefined) return [];
    const { hash, kind, created, ttl } = token;
    return [{ hash, userId, kind, created, ttl, expiresAt: expiryOf(created, ttl) }];
  });
  const mails = data.mails
    .filter((mail) => mail.kind !== 'verify')
    .map(
      (mail, index): MailRecord => ({
        id: index + 1,
        kind: mail.kind,
        priority: mail.kind === 'reset' ? 0 : 1,
        to: mail.to,
        toKey: keys.emailKey(mail.to),
        userId: null,
        sealedLink: mail.sealedLink,
        tokenHash: null,
        params: {},
        created: mail.created,
        attempts: mail.attempts,
        nextAttempt: mail.nextAttempt,
        lastError: mail.lastError,
        claim: null,
        claimedUntil: null,
      }),
    );
  return { users, tokens, mails };
}
