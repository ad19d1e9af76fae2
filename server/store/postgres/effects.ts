import type pg from 'pg';
import {
  type MailRecord,
  type NewMail,
  type NewToken,
  StoreConflictError,
  type TokenKind,
  type TokenSelection,
  type UserGuard,
  type UserId,
  type WriteEffects,
} from '../store.js';
import { type MailRow, toMail, USER_COLUMNS, type UserRow } from './rows.js';

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

export async function insertTokens(client: pg.PoolClient, userId: UserId, tokens: readonly NewToken[]) {
  for (const token of tokens) {
    await client.query(
      'INSERT INTO tokens (hash, user_id, kind, created, ttl, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [token.hash, userId, token.kind, token.created, token.ttl, token.expiresAt],
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

/** What follows the user's own change, in the documented order: revoke, issue, mail. */
export async function applyFollowingEffects(
  client: pg.PoolClient,
  userId: UserId,
  effects: Pick<WriteEffects, 'revoke' | 'issue' | 'mail'> | undefined,
): Promise<void> {
  if (!effects) return;
  if (effects.revoke) await revokeSelected(client, userId, effects.revoke);
  if (effects.issue) await insertTokens(client, userId, effects.issue);
  if (effects.mail) await insertMail(client, userId, effects.mail);
}

/** A unique index broken by the write, as the store's conflict (email or username); else null. */
export function conflictOf(error: unknown): StoreConflictError | null {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  if (fields?.code !== '23505') return null;
  if (fields.constraint === 'users_email_key') return new StoreConflictError('email');
  if (fields.constraint === 'users_username_key') return new StoreConflictError('username');
  return null;
}
