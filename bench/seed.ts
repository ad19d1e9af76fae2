import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { TokenRecord, UserRecord } from '../server/store/store.js';

export type Seeded = {
  /** Emails of seeded (verified) users, a sample for the login client. */
  emails: string[];
  /** Access-token secrets of seeded users, a sample for the /me client. */
  tokens: string[];
  bytes: number;
};

/**
 * Writes the store's file directly (the snapshot shape lowdb reads) with `count` verified users and
 * one live access token each: seeding through the API would cost `count` bcrypt hashes. Every user
 * shares `passwordHash` (one real hash at the benchmark's cost), which makes every login as
 * expensive as a real one.
 */
export async function writeSeedFile(file: string, count: number, passwordHash: string): Promise<Seeded> {
  const now = new Date().toISOString();
  const users: UserRecord[] = [];
  const tokens: TokenRecord[] = [];
  const sampleEvery = Math.max(1, Math.floor(count / 2000));
  const emails: string[] = [];
  const secrets: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = randomUUID();
    const email = `seed${index}@bench.example.com`;
    users.push({
      id,
      email,
      username: `seed${index}`,
      passwordHash,
      emailVerified: true,
      created: now,
      passwordChanged: now,
    });
    const secret = randomBytes(48).toString('base64url');
    tokens.push({
      hash: createHash('sha256').update(secret).digest('hex'),
      userId: id,
      kind: 'access',
      created: now,
      ttl: 1_209_600,
    });
    if (index % sampleEvery === 0) {
      emails.push(email);
      secrets.push(secret);
    }
  }
  const text = JSON.stringify({ version: 1, seq: 0, users, tokens, mails: [] });
  await writeFile(file, text, { mode: 0o600 });
  return { emails, tokens: secrets, bytes: Buffer.byteLength(text) };
}
