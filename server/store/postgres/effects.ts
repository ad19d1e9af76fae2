import type pg from 'pg';
import {
  type ActivityRecord,
  type MailRecord,
  type NewActivity,
  type NewMail,
  type NewToken,
  StoreConflictError,
  type TokenKind,
  type TokenSelection,
  type UserGuard,
  type UserId,
  type WriteEffects,
} from '../store.js';
import { type ActivityRow, type MailRow, toActivity, toMail, USER_COLUMNS, type UserRow } from './rows.js';

/**
 * Locks the user's row for the rest of the transaction, so writes to one account land one after
 * another on every instance (and a guard checked here still holds at COMMIT). NO KEY UPDATE still
 * lets other transactions reference the row (a token's foreign key) meanwhile.
 */
export async function lockUser(
  client: pg.PoolClient,
  userId: UserId,
  mode: 'NO KEY UPDATE' | 'UPDATE' = 'NO KEY UPDATE',
): Promise<UserRow | null> {
  const result = await client.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR ${mode}`, [
    userId,
  ]);
  return result.rows[0] ?? null;
}

/** Throws StoreConflictError('user') unless the locked row still matches what the caller read. */
export function checkGuard(row: UserRow, guard: UserGuard | undefined): void {
  if (!guard) return;
  if (guard.version !== undefined && row.version !== guard.version) throw new StoreConflictError('user');
  if (guard.passwordHash !== undefined && row.password_hash !== guard.passwordHash)
    throw new StoreConflictError('user');
}

/** Deletes this user's single-use token of that kind; gone already → StoreConflictError('token'). */
export async function spendOwnToken(
  client: pg.PoolClient,
  userId: UserId,
  spend: { hash: string; kind: TokenKind },
): Promise<void> {
  const result = await client.query('DELETE FROM tokens WHERE hash = $1 AND user_id = $2 AND kind = $3', [
    spend.hash,
    userId,
    spend.kind,
  ]);
  if (result.rowCount !== 1) throw new StoreConflictError('token');
}

/** Deletes the user's tokens the selection picks (absent fields select everything). */
export async function revokeSelected(
  client: pg.PoolClient,
  userId: UserId,
  selection: TokenSelection,
): Promise<number> {
  const result = await client.query(
    `DELETE FROM tokens WHERE user_id = $1
       AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
       AND ($3::text IS NULL OR hash <> $3::text)
       AND ($4::text[] IS NULL OR hash = ANY($4::text[]))`,
    [userId, selection.kinds ?? null, selection.except ?? null, selection.hashes ?? null],
  );
  return result.rowCount ?? 0;
}

/**
 * Adds the user's tokens with their metadata (a public id already taken: the 'token' conflict).
 * `keepExisting`: a token already here, by hash or public id, stays and is skipped (an import).
 */
export async function insertTokens(
  client: pg.PoolClient,
  userId: UserId,
  tokens: readonly NewToken[],
  options: { keepExisting?: boolean } = {},
) {
  for (const token of tokens) {
    await client.query(
      `INSERT INTO tokens (hash, user_id, kind, created, ttl, expires_at, public_id, last_used, ip, user_agent, session)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)${options.keepExisting ? ' ON CONFLICT DO NOTHING' : ''}`,
      [
        token.hash,
        userId,
        token.kind,
        token.created,
        token.ttl,
        token.expiresAt,
        token.id ?? null,
        token.lastUsed ?? null,
        token.ip ?? null,
        token.userAgent ?? null,
        token.session ?? null,
      ],
    );
  }
}

export async function insertMail(
  client: pg.PoolClient,
  userId: UserId | null,
  mails: readonly NewMail[],
): Promise<MailRecord[]> {
  const queued: MailRecord[] = [];
  for (const mail of mails) {
    const result = await client.query<MailRow>(
      `INSERT INTO mail (kind, priority, recipient, recipient_key, user_id, sealed_link, token_hash, params, created, next_attempt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        mail.kind,
        mail.priority,
        mail.to,
        mail.toKey,
        userId,
        mail.sealedLink,
        mail.tokenHash,
        JSON.stringify(mail.params),
        mail.created,
        mail.nextAttempt ?? mail.created,
      ],
    );
    queued.push(toMail(result.rows[0]!));
  }
  return queued;
}

/**
 * Appends the user's entries and drops their oldest beyond `keepAtMost`, on a user row the caller
 * has locked (so two writes to one account never both see room for one more). When even the new
 * entries exceed the cap, the oldest of them are never written, as on lowdb.
 */
export async function appendEntries(
  client: pg.PoolClient,
  userId: UserId,
  entries: readonly NewActivity[],
  keepAtMost: number,
): Promise<ActivityRecord[]> {
  const cap = Math.max(0, keepAtMost);
  if (cap === 0) {
    await client.query('DELETE FROM activity WHERE user_id = $1', [userId]);
    return [];
  }
  const kept = entries.slice(Math.max(0, entries.length - cap));
  const appended: ActivityRecord[] = [];
  for (const entry of kept) {
    const result = await client.query<ActivityRow>(
      `INSERT INTO activity (user_id, at, type, method, ip, device, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        userId,
        entry.at,
        entry.type,
        entry.method ?? null,
        entry.ip ?? null,
        entry.device ?? null,
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
      ],
    );
    appended.push(toActivity(result.rows[0]!));
  }
  // The (user_id, id) index walks this user's newest `cap` entries; everything older goes.
  await client.query(
    `DELETE FROM activity WHERE user_id = $1 AND id < COALESCE(
       (SELECT id FROM activity WHERE user_id = $1 ORDER BY id DESC OFFSET $2 - 1 LIMIT 1), 0)`,
    [userId, cap],
  );
  return appended;
}

/** What follows the user's own change, in the documented order: revoke, issue, mail, activity. */
export async function applyFollowingEffects(
  client: pg.PoolClient,
  userId: UserId,
  effects: Pick<WriteEffects, 'revoke' | 'issue' | 'mail' | 'activity'> | undefined,
): Promise<void> {
  if (!effects) return;
  if (effects.revoke) await revokeSelected(client, userId, effects.revoke);
  if (effects.issue) await insertTokens(client, userId, effects.issue);
  if (effects.mail) await insertMail(client, userId, effects.mail);
  if (effects.activity)
    await appendEntries(client, userId, effects.activity.entries, effects.activity.keepAtMost);
}

/** The unique indexes whose violation is a conflict the domain understands, by constraint name. */
const CONFLICTS: Record<string, StoreConflictError['field']> = {
  users_email_key: 'email',
  users_username_key: 'username',
  tokens_public_id: 'token',
  identities_issuer_subject: 'identity',
  passkeys_credential_id: 'passkey',
};

/** A unique index broken by the write (another instance won a race), as the store's conflict; else null. */
export function conflictOf(error: unknown): StoreConflictError | null {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  if (fields?.code !== '23505' || typeof fields.constraint !== 'string') return null;
  const field = CONFLICTS[fields.constraint];
  return field ? new StoreConflictError(field) : null;
}
