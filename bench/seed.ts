import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { emailKey, usernameKey } from '../server/auth/canonical.js';
import { writeSnapshotFile } from '../server/store/lowdb.js';
import { expiryOf, type TokenRecord, type UserRecord } from '../server/store/store.js';

export type Seeded = {
  /** Emails of seeded (verified) users, a sample for the login client. */
  emails: string[];
  /** Access-token secrets of seeded users, a sample for the /me client. */
  tokens: string[];
  bytes: number | null;
};

function required(key: string | null, value: string): string {
  if (key === null) throw new Error(`the domain gives ${value} no key`);
  return key;
}

/**
 * Writes DB_FILE through the store's own snapshot writer with `count` verified users and one live
 * access token each: seeding through the API would cost `count` bcrypt hashes. Every user shares
 * `passwordHash` (one real hash at the benchmark's cost), which makes every login as expensive
 * as a real one. Keys come from the domain's rule, as sign-up computes them.
 */
export async function writeSeedFile(file: string, count: number, passwordHash: string): Promise<Seeded> {
  const now = new Date().toISOString();
  const ttl = 1_209_600;
  const expiresAt = expiryOf(now, ttl);
  const users: UserRecord[] = [];
  const tokens: TokenRecord[] = [];
  const sampleEvery = Math.max(1, Math.floor(count / 2000));
  const emails: string[] = [];
  const secrets: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = index + 1;
    const email = `seed${index}@bench.example.com`;
    const username = `seed${index}`;
    users.push({
      id,
      email,
      emailKey: required(emailKey(email), email),
      username,
      usernameKey: required(usernameKey(username), username),
      passwordHash,
      emailVerified: true,
      pendingEmail: null,
      pendingEmailKey: null,
      created: now,
      passwordChanged: now,
      version: 1,
    });
    const secret = randomBytes(48).toString('base64url');
    const hash = createHash('sha256').update(secret).digest('hex');
    tokens.push({ hash, userId: id, kind: 'access', created: now, ttl, expiresAt });
    if (index % sampleEvery === 0) {
      emails.push(email);
      secrets.push(secret);
    }
  }
  await writeSnapshotFile(file, { users, tokens, mails: [] });
  return { emails, tokens: secrets, bytes: (await stat(file)).size };
}
