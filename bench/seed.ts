import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

export type Seeded = {
  /** Emails of seeded (verified) users, a sample for the login client. */
  emails: string[];
  /** Access-token secrets of seeded users, a sample for the /me client. */
  tokens: string[];
  bytes: number | null;
};

/**
 * Writes the store's file directly with `count` verified users and one live access token each:
 * seeding through the API would cost `count` bcrypt hashes. Every user shares `passwordHash` (one
 * real hash at the benchmark's cost), which makes every login as expensive as a real one.
 *
 * Temporary: this is a second copy of the version-1 snapshot format that today's lowdb store
 * reads (UUID ids), with the new records' fields added; it gives way to the store's own snapshot
 * writer as soon as server/store/ exports one (issue 11 point 8).
 */
export async function writeSeedFile(file: string, count: number, passwordHash: string): Promise<Seeded> {
  const now = new Date().toISOString();
  const ttl = 1_209_600;
  const expiresAt = new Date(Date.parse(now) + ttl * 1000).toISOString();
  const users: object[] = [];
  const tokens: object[] = [];
  const sampleEvery = Math.max(1, Math.floor(count / 2000));
  const emails: string[] = [];
  const secrets: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = randomUUID();
    const email = `seed${index}@bench.example.com`;
    const username = `seed${index}`;
    users.push({
      id,
      email,
      emailKey: email,
      username,
      usernameKey: username,
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
  const text = JSON.stringify({ version: 1, seq: 0, users, tokens, mails: [] });
  await writeFile(file, text, { mode: 0o600 });
  return { emails, tokens: secrets, bytes: Buffer.byteLength(text) };
}
