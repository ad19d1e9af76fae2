import {
  type NewMail,
  type NewToken,
  StoreConflictError,
  type TokenRecord,
  type UserId,
  type UserRecord,
} from '../store/store.js';
import { addNewAddressMail } from './account.js';
import { recordActivity } from './activity.js';
import { commit } from './commit.js';
import { deviceName } from './devices.js';

export { type ClientInfo, newTokenId, sessionMetadata } from './devices.js';

import { listAccessTokens } from './sessions.js';
import type { AuthDeps } from './types.js';

/**
 * Issue 14's sessions: each access token carries when it was last used, from which address and
 * which user agent, and a public id (LoopBack's `:fk`) by which its owner revokes it. The id is
 * random and separate from the hash, so listing tokens never reveals anything that opens one.
 */

/** A last use is written at most this often per token, so authenticated reads stay cheap. */
export const TOUCH_EVERY_MS = 60_000;

/**
 * Records a use of a token, at most once a minute: the write is skipped while the last recorded
 * use is recent. A token gone meanwhile changes nothing.
 */
export async function touchSession(deps: AuthDeps, token: TokenRecord): Promise<void> {
  const now = deps.clock.now();
  const last = token.lastUsed ? Date.parse(token.lastUsed) : Number.NaN;
  if (Number.isFinite(last) && now.getTime() - last < TOUCH_EVERY_MS) return;
  await deps.store.touchToken(token.hash, now);
}

/** One session as its owner sees it: never the hash or the secret. */
export type SessionView = {
  id: string;
  created: string;
  expiresAt: string;
  lastUsed: string | null;
  ip: string | null;
  device: string | null;
  session: 'browser' | 'api';
  current: boolean;
};

/** The user's live sessions, newest use first; `current` marks the token of this request. */
export async function listSessions(
  deps: AuthDeps,
  userId: UserId,
  current?: TokenRecord,
): Promise<SessionView[]> {
  const tokens = await listAccessTokens(deps, userId);
  return tokens
    .filter((token): token is TokenRecord & { id: string } => typeof token.id === 'string')
    .map((token) => ({
      id: token.id,
      created: token.created,
      expiresAt: token.expiresAt,
      lastUsed: token.lastUsed ?? null,
      ip: token.ip ?? null,
      device: deviceName(token.userAgent),
      session: token.session ?? 'api',
      current: current?.hash === token.hash,
    }))
    .sort((a, b) => (b.lastUsed ?? b.created).localeCompare(a.lastUsed ?? a.created));
}

/**
 * Revokes one of the user's sessions by its public id; takes effect on that token's next request
 * (authenticate finds it gone). False when the id is not one of theirs.
 */
export async function revokeSession(
  deps: AuthDeps,
  userId: UserId,
  id: string,
  from?: { ip?: string; device?: string },
): Promise<boolean> {
  const revoked = await deps.store.revokeTokenById(userId, id);
  if (revoked) {
    await recordActivity(deps, userId, {
      type: 'session-revoked',
      ...(from?.ip ? { ip: from.ip } : {}),
      ...(from?.device ? { device: from.device } : {}),
      detail: { session: id },
    });
  }
  return revoked;
}

/** Every session but this one ends ("Log out everywhere else"); returns how many went. */
export async function revokeOtherSessions(
  deps: AuthDeps,
  userId: UserId,
  keep: TokenRecord,
  from?: { ip?: string; device?: string },
): Promise<number> {
  const tokens = await listAccessTokens(deps, userId);
  const hashes = tokens.filter((token) => token.hash !== keep.hash).map((token) => token.hash);
  if (hashes.length === 0) return 0;
  const count = await deps.store.revokeTokens(userId, { kinds: ['access'], hashes });
  await recordActivity(deps, userId, {
    type: 'sessions-revoked',
    ...(from?.ip ? { ip: from.ip } : {}),
    ...(from?.device ? { device: from.device } : {}),
    detail: { count: String(count) },
  });
  return count;
}

/**
 * "Resend" on the email page: a fresh confirmation link to the pending address, the earlier one
 * spent. The address was already authorised with the password when the change was asked for, so
 * no new proof is needed; as on the first request, an address someone else holds gets its owner
 * told instead of a link, so the answer never says whether it is taken. False: nothing pending.
 */
export async function resendEmailChange(deps: AuthDeps, user: UserRecord): Promise<boolean> {
  if (!user.pendingEmail || !user.pendingEmailKey) return false;
  const mail: NewMail[] = [];
  const issue: NewToken[] = [];
  await addNewAddressMail(
    deps,
    user.id,
    { email: user.pendingEmail, emailKey: user.pendingEmailKey },
    { issue, mail },
  );
  // The version guard: a change confirmed or cancelled meanwhile must not get a new link.
  try {
    await commit(
      deps,
      () =>
        deps.store.setProfile(
          user.id,
          {},
          { guard: { version: user.version }, revoke: { kinds: ['email-confirm'] }, issue, mail },
        ),
      { mail },
    );
  } catch (error) {
    if (error instanceof StoreConflictError && error.field === 'user') return false;
    throw error;
  }
  return true;
}
