/**
 * The Stage B half of `npm run db:copy`: what a user has beyond its account row (disabled, second
 * factors), its sessions' metadata, passkeys, linked identities and security activity. Without it
 * a move to PostgreSQL would quietly turn off people's two-factor sign-in and unlink the only way
 * a password-less account logs in. Runs inside the copy's transaction, after users and tokens.
 */
import type pg from 'pg';
import type { SnapshotData } from '../server/store/lowdb/snapshot.js';

export type FeatureCounts = { passkeys: number; identities: number; activity: number };

const CHUNK = 1000;

/** `rows` in slices of a thousand: one statement each, as db-copy.ts writes the accounts too. */
export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let index = 0; index < rows.length; index += CHUNK) out.push(rows.slice(index, index + CHUNK));
  return out;
}

async function inChunks<T>(rows: readonly T[], write: (part: T[]) => Promise<number>): Promise<number> {
  let written = 0;
  for (const part of chunks(rows)) written += await write(part);
  return written;
}

export async function copyFeatures(client: pg.PoolClient, data: SnapshotData): Promise<FeatureCounts> {
  // Only rows the copy just inserted or left as they were: an update here never overwrites a
  // target row that already had second factors of its own (a re-run changes nothing).
  const featured = data.users
    .filter((user) => user.disabled || user.twoFactor)
    .map((user) => ({
      id: user.id,
      emailKey: user.emailKey,
      disabled: user.disabled ?? false,
      totpSecret: user.twoFactor?.totpSecret ?? null,
      totpLastStep: user.twoFactor?.totpLastStep ?? null,
      totpEnabledAt: user.twoFactor?.totpEnabledAt ?? null,
      recoveryCodeHashes: user.twoFactor?.recoveryCodeHashes ?? [],
      userHandle: user.twoFactor?.userHandle ?? null,
    }));
  await inChunks(featured, async (part) => {
    const result = await client.query(
      `UPDATE users u SET disabled = r.disabled, totp_secret = r."totpSecret", totp_last_step = r."totpLastStep",
              totp_enabled_at = r."totpEnabledAt",
              recovery_code_hashes = ARRAY(SELECT jsonb_array_elements_text(r."recoveryCodeHashes")),
              user_handle = r."userHandle"
       FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, "emailKey" text, disabled boolean, "totpSecret" text,
         "totpLastStep" bigint, "totpEnabledAt" timestamptz, "recoveryCodeHashes" jsonb, "userHandle" text)
       WHERE u.id = r.id AND u.email_key = r."emailKey" AND u.totp_secret IS NULL AND u.user_handle IS NULL AND NOT u.disabled`,
      [JSON.stringify(part)],
    );
    return result.rowCount ?? 0;
  });

  // Sessions' public ids, devices and last use (issue 14), on the tokens just copied.
  const described = data.tokens.filter((token) => token.id !== undefined);
  await inChunks(described, async (part) => {
    const result = await client.query(
      `UPDATE tokens t SET public_id = r.id, last_used = r."lastUsed", ip = r.ip, user_agent = r."userAgent",
              session = r.session
       FROM jsonb_to_recordset($1::jsonb) AS r(hash text, id text, "lastUsed" timestamptz, ip text,
         "userAgent" text, session text)
       WHERE t.hash = r.hash AND t.public_id IS NULL`,
      [JSON.stringify(part)],
    );
    return result.rowCount ?? 0;
  });

  const users = 'EXISTS (SELECT 1 FROM users WHERE users.id = r."userId")';
  const passkeys = await inChunks(data.passkeys, async (part) => {
    const result = await client.query(
      `INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, device_type, backed_up,
                             name, created, last_used)
       SELECT "credentialId", "userId", "publicKey", counter, ARRAY(SELECT jsonb_array_elements_text(transports)),
              "deviceType", "backedUp", name, created, "lastUsed"
       FROM jsonb_to_recordset($1::jsonb) AS r("credentialId" text, "userId" bigint, "publicKey" text,
         counter bigint, transports jsonb, "deviceType" text, "backedUp" boolean, name text,
         created timestamptz, "lastUsed" timestamptz)
       WHERE ${users}
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(part)],
    );
    return result.rowCount ?? 0;
  });
  const identities = await inChunks(data.identities, async (part) => {
    const result = await client.query(
      `INSERT INTO identities (issuer, subject, user_id, provider_id, email, linked_at)
       SELECT issuer, subject, "userId", "providerId", email, "linkedAt"
       FROM jsonb_to_recordset($1::jsonb) AS r(issuer text, subject text, "userId" bigint, "providerId" text,
         email text, "linkedAt" timestamptz)
       WHERE ${users}
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(part)],
    );
    return result.rowCount ?? 0;
  });
  // Activity keeps its ids (the API pages by them); the sequence then carries on after them.
  const ordered = [...data.activity].sort((a, b) => a.id - b.id);
  const activity = await inChunks(ordered, async (part) => {
    const result = await client.query(
      `INSERT INTO activity (id, user_id, at, type, method, ip, device, detail) OVERRIDING SYSTEM VALUE
       SELECT id, "userId", at, type, method, ip, device, detail
       FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, "userId" bigint, at timestamptz, type text,
         method text, ip text, device text, detail jsonb)
       WHERE ${users}
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(part)],
    );
    return result.rowCount ?? 0;
  });
  await client.query(
    `SELECT setval(pg_get_serial_sequence('activity', 'id'),
            GREATEST($1::bigint - 1, (SELECT coalesce(max(id), 0) FROM activity), 1),
            GREATEST($1::bigint - 1, (SELECT coalesce(max(id), 0) FROM activity)) > 0)`,
    [data.nextActivityId ?? 1],
  );
  return { passkeys, identities, activity };
}
