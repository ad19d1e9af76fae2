/**
 * npm run db:copy -- --from data/db.json --to "$DATABASE_URL" [--allow-non-empty]
 *
 * Copies every user, live token and queued email of a lowdb file into PostgreSQL, keeping ids (so
 * API clients' numeric ids and emailed links stay valid), with what users have beyond their
 * account (second factors, passkeys, linked identities, security activity: db-copy-features.ts). The app must be stopped: the lowdb data
 * lock is taken, the journal replayed and folded into the file first. A target that already holds
 * data is refused unless --allow-non-empty; rows already there (same id or token hash) are left
 * as they are, so running the copy again changes nothing.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { emailKey, usernameKey } from '../server/auth/canonical.js';
import { readSnapshot } from '../server/store/lowdb/snapshot.js';
import { createLowdbStore } from '../server/store/lowdb.js';
import { createPostgresStore } from '../server/store/postgres/postgres-store.js';
import { chunks, copyFeatures, type FeatureCounts } from './db-copy-features.js';

export type CopyResult = {
  users: number;
  tokens: number;
  mails: number;
  skippedExpiredTokens: number;
} & FeatureCounts;

const keys = {
  emailKey: (email: string) => emailKey(email) ?? email.normalize('NFC').toLowerCase(),
  usernameKey: (username: string) => usernameKey(username) ?? username.normalize('NFC').toLowerCase(),
};

/** The copy itself; `now` decides which tokens are still live. */
export async function copyLowdbToPostgres(
  from: string,
  to: string,
  options: { allowNonEmpty?: boolean; now?: Date } = {},
): Promise<CopyResult> {
  // Opening the store replays its journal; compact() folds it into the file we then read whole.
  const lowdb = await createLowdbStore(from, { migrationKeys: keys });
  await lowdb.compact();
  await lowdb.close();
  const read = await readSnapshot(from, keys);
  if (!read) throw new Error(`${from} does not exist`);
  const { data } = read;
  const now = (options.now ?? new Date()).getTime();
  const liveTokens = data.tokens.filter((token) => Date.parse(token.expiresAt) > now);

  const target = await createPostgresStore(to);
  const client = await target.pool.connect();
  try {
    const existing = await client.query<{ rows: string }>(
      'SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM tokens) + (SELECT count(*) FROM mail) AS rows',
    );
    if (Number(existing.rows[0]?.rows) > 0 && !options.allowNonEmpty) {
      throw new Error('the target database is not empty: pass --allow-non-empty to copy into it anyway');
    }
    await client.query('BEGIN');
    let users = 0;
    for (const part of chunks(data.users)) {
      const result = await client.query(
        `INSERT INTO users (id, email, email_key, username, username_key, password_hash, email_verified,
                            pending_email, pending_email_key, created, password_changed, version)
         SELECT id, email, "emailKey", username, "usernameKey", "passwordHash", "emailVerified",
                "pendingEmail", "pendingEmailKey", created, "passwordChanged", version
         FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, email text, "emailKey" text, username text,
           "usernameKey" text, "passwordHash" text, "emailVerified" boolean, "pendingEmail" text,
           "pendingEmailKey" text, created timestamptz, "passwordChanged" timestamptz, version integer)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(part)],
      );
      users += result.rowCount ?? 0;
    }
    let tokens = 0;
    // Oldest first, so the copy's insertion order (seq) keeps "oldest first" for equal instants.
    const ordered = [...liveTokens].sort((a, b) => a.created.localeCompare(b.created));
    for (const part of chunks(ordered)) {
      const result = await client.query(
        `INSERT INTO tokens (hash, user_id, kind, created, ttl, expires_at)
         SELECT hash, "userId", kind, created, ttl, "expiresAt"
         FROM jsonb_to_recordset($1::jsonb) AS r(hash text, "userId" bigint, kind text, created timestamptz,
           ttl integer, "expiresAt" timestamptz)
         WHERE EXISTS (SELECT 1 FROM users WHERE users.id = r."userId")
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(part)],
      );
      tokens += result.rowCount ?? 0;
    }
    const features = await copyFeatures(client, data);
    let mails = 0;
    // Claims are dropped: they belonged to the stopped process.
    for (const part of chunks(data.mails)) {
      const result = await client.query(
        `INSERT INTO mail (id, kind, priority, recipient, recipient_key, user_id, sealed_link, token_hash,
                           params, created, attempts, next_attempt, last_error)
         SELECT id, kind, priority, "to", "toKey", "userId", "sealedLink", "tokenHash", params, created,
                attempts, "nextAttempt", "lastError"
         FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, kind text, priority smallint, "to" text,
           "toKey" text, "userId" bigint, "sealedLink" text, "tokenHash" text, params jsonb,
           created timestamptz, attempts integer, "nextAttempt" timestamptz, "lastError" text)
         WHERE r."userId" IS NULL OR EXISTS (SELECT 1 FROM users WHERE users.id = r."userId")
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(part)],
      );
      mails += result.rowCount ?? 0;
    }
    // Ids carry on after the copy, and an id the file had already used (a deleted user) is never
    // handed out again: the sequences start past both.
    for (const [table, next] of [
      ['users', data.nextUserId],
      ['mail', data.nextMailId],
    ] as const) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'),
                GREATEST($1::bigint - 1, (SELECT coalesce(max(id), 0) FROM ${table}), 1),
                GREATEST($1::bigint - 1, (SELECT coalesce(max(id), 0) FROM ${table})) > 0)`,
        [next],
      );
    }
    await client.query('COMMIT');
    return {
      users,
      tokens,
      mails,
      skippedExpiredTokens: data.tokens.length - liveTokens.length,
      ...features,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
    await target.close();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'allow-non-empty': { type: 'boolean', default: false },
    },
  });
  if (!values.from || !values.to) {
    throw new Error('usage: npm run db:copy -- --from data/db.json --to postgresql://… [--allow-non-empty]');
  }
  const result = await copyLowdbToPostgres(values.from, values.to, {
    allowNonEmpty: values['allow-non-empty'],
  });
  process.stdout.write(
    `copied ${result.users} users, ${result.tokens} live tokens, ${result.mails} queued emails` +
      ` (${result.skippedExpiredTokens} expired tokens left behind), ${result.passkeys} passkeys,` +
      ` ${result.identities} linked identities, ${result.activity} activity entries\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`db:copy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
