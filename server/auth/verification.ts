import type { TokenRecord, UserId, UserRecord } from '../store/store.js';
import { activityEffect, recordActivity } from './activity.js';
import { commit } from './commit.js';
import type { ClientInfo } from './devices.js';
import { invalidInput, invalidVerificationToken, loginFailed, userNotFound } from './errors.js';
import { originOf } from './notices.js';
import { issueSession, passwordMatches } from './sessions.js';
import { hashToken, isExpired, looksLikeToken } from './tokens.js';
import type { AuthDeps, LoginResult } from './types.js';

/** What an emailed confirmation link proves, found without changing anything (a GET may ask). */
export type ConfirmationLink = {
  user: UserRecord;
  token: TokenRecord;
  /** `verify`: the account's first address; `email-confirm`: a pending new address. */
  kind: 'verify' | 'email-confirm';
  /** The address the link confirms (the pending one for an email change). */
  email: string;
};

/**
 * The live confirmation link `secret` is for user `userId`, or null (bad, expired, used, another
 * user's). Reads only: mail scanners open links, so nothing here changes state.
 */
export async function inspectConfirmationLink(
  deps: AuthDeps,
  userId: UserId,
  secret: string,
): Promise<ConfirmationLink | null> {
  if (!looksLikeToken(secret)) return null;
  const found = await deps.store.findTokenWithUser(hashToken(secret));
  if (!found || found.user.id !== userId || isExpired(found.token, deps.clock.now())) return null;
  const { token, user } = found;
  if (token.kind === 'verify') return { user, token, kind: 'verify', email: user.email };
  if (token.kind === 'email-confirm' && user.pendingEmail)
    return { user, token, kind: 'email-confirm', email: user.pendingEmail };
  return null;
}

/**
 * Whether account `userId` has its email verified, for a link that is no longer live: a person who
 * opens the verification email a second time is told it is done, not that the link is broken. It
 * says no more than the API's sequential ids already do (that an account with this id exists).
 */
export async function isAccountVerified(deps: AuthDeps, userId: UserId): Promise<boolean> {
  const user = await deps.store.findUserById(userId);
  return user?.emailVerified === true && !user.pendingEmail;
}

/** Applies a confirmation link: spends it, and verifies the email or makes the pending one the email. */
async function applyConfirmation(
  deps: AuthDeps,
  link: ConfirmationLink,
  client?: ClientInfo,
): Promise<UserRecord> {
  const spend = { hash: link.token.hash, kind: link.kind } as const;
  const origin = { method: 'email-link', ...originOf(client) };
  if (link.kind === 'verify') {
    return commit(
      deps,
      () =>
        deps.store.markEmailVerified(link.user.id, {
          spend,
          revoke: { kinds: ['verify'] },
          activity: activityEffect(deps, {
            type: 'email-verified',
            ...origin,
            detail: { email: link.email },
          }),
        }),
      {
        conflicts: { token: invalidVerificationToken, user: invalidVerificationToken },
      },
    );
  }
  // A reset link sent to the old address must not outlive the change; the cancel link goes too.
  return commit(
    deps,
    () =>
      deps.store.confirmPendingEmail(link.user.id, {
        spend,
        revoke: { kinds: ['reset', 'verify', 'email-confirm', 'email-cancel'] },
        activity: activityEffect(deps, {
          type: 'email-changed',
          ...origin,
          detail: { from: link.user.email, to: link.email },
        }),
      }),
    {
      conflicts: {
        token: invalidVerificationToken,
        user: invalidVerificationToken,
        // Someone else took the address between the change and its confirmation.
        email: () => invalidInput({ email: ['uniqueness'] }),
      },
    },
  );
}

/**
 * LoopBack's `GET /api/users/confirm`: verifies with the link alone. The one exception to "no GET
 * changes anything", kept for API clients that build their own links; the pages never call it.
 * @throws USER_NOT_FOUND, INVALID_TOKEN
 */
export async function verifyEmail(
  deps: AuthDeps,
  userId: UserId,
  secret: string,
  client?: ClientInfo,
): Promise<UserRecord> {
  const link = await inspectConfirmationLink(deps, userId, secret);
  if (!link) {
    if (!(await deps.store.findUserById(userId))) throw userNotFound();
    throw invalidVerificationToken();
  }
  return applyConfirmation(deps, link, client);
}

/**
 * "Confirm my email" for a browser logged in as the account the link is for: the session proves
 * the account, the link proves the mailbox.
 * @throws INVALID_TOKEN (bad link, or a link for another account than the logged-in one)
 */
export async function confirmEmail(
  deps: AuthDeps,
  loggedIn: UserRecord,
  userId: UserId,
  secret: string,
  client?: ClientInfo,
): Promise<UserRecord> {
  const link = await inspectConfirmationLink(deps, userId, secret);
  if (!link || link.user.id !== loggedIn.id) throw invalidVerificationToken();
  return applyConfirmation(deps, link, client);
}

/**
 * The log-in form on a confirmation link's page: the password proves the account, the link's
 * token the mailbox; success confirms the email and logs in (even when unverified accounts may
 * not log in otherwise).
 * @throws INVALID_TOKEN (bad link), LOGIN_FAILED (wrong password)
 */
export async function logInWithConfirmationLink(
  deps: AuthDeps,
  input: { userId: UserId; token: string; password: string; ttl?: number; client?: ClientInfo },
): Promise<LoginResult> {
  const link = await inspectConfirmationLink(deps, input.userId, input.token);
  if (!link) throw invalidVerificationToken();
  if (!(await passwordMatches(deps, link.user, input.password))) throw loginFailed();
  const confirmed = await applyConfirmation(deps, link, input.client);
  const session = await issueSession(
    deps,
    { ...confirmed, passwordHash: link.user.passwordHash },
    input.ttl,
    input.client,
  );
  await recordActivity(deps, confirmed.id, { type: 'login', method: 'password', ...originOf(input.client) });
  return session;
}
