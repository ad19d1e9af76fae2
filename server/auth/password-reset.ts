import type { UserRecord } from '../store/store.js';
import { activityEffect } from './activity.js';
import { emailKey } from './canonical.js';
import { answerNoSoonerThan, commit } from './commit.js';
import type { ClientInfo } from './devices.js';
import { authorizationRequired, emailRequired } from './errors.js';
import { originOf, passwordChangedNotice } from './notices.js';
import { linkToken, newMail } from './outgoing-mail.js';
import { authenticate } from './sessions.js';
import { DEFAULT_ANSWER_FLOOR_MS } from './sign-up.js';
import type { AuthDeps } from './types.js';
import { checkPassword } from './validation.js';

/**
 * Queues a reset link for a known address (replacing any earlier link, whose email is then
 * dropped unsent) and answers the same for an unknown one. Takes at least the constant-time floor
 * either way, by design: the caller cannot tell which it was from the answer or its time.
 * @throws EMAIL_REQUIRED
 */
export async function requestPasswordReset(deps: AuthDeps, email: string): Promise<void> {
  if (!email.trim()) throw emailRequired();
  const started = performance.now();
  try {
    const key = emailKey(email);
    const user = key === null ? null : await deps.store.findUserByEmailKey(key);
    if (!user) return;
    const { token, link } = linkToken(deps, user.id, 'reset');
    const mail = [newMail(deps, 'reset', user.email, { link, token })];
    await commit(deps, () => deps.store.issueToken(user.id, token, { revoke: { kinds: ['reset'] }, mail }), {
      mail,
    });
    deps.events.emit('resetPasswordRequest', { userId: user.id, email: user.email });
  } finally {
    await answerNoSoonerThan(started, deps.settings.answerFloorMs ?? DEFAULT_ANSWER_FLOOR_MS);
  }
}

/**
 * Sets a new password with a reset token. The token is spent, and so is every other token of the
 * user: whoever knew the old password is logged out everywhere. Following the emailed link proves
 * the person reads the mailbox, so the email is marked verified too. The reset, its activity entry
 * and the owner's "your password was changed" email land in one write (issue 14).
 * @throws AUTHORIZATION_REQUIRED (bad, expired or already used token), VALIDATION_ERROR
 *   (password: password.*), PASSWORD_TOO_LONG
 */
export async function resetPassword(
  deps: AuthDeps,
  secret: string,
  newPassword: string,
  client?: ClientInfo,
): Promise<UserRecord> {
  const proof = await authenticate(deps, secret, 'reset');
  if (!proof) throw authorizationRequired();
  const { user, token } = proof;
  const problem = checkPassword(deps, newPassword, user.email, user.username, {});
  if (problem) throw problem;
  const passwordHash = await deps.hasher.hash(newPassword, deps.settings.bcryptRounds);
  const mail = [passwordChangedNotice(deps, user, 'reset', client)];
  // The spend is the guard: a second use racing this one finds the token gone (401).
  return commit(
    deps,
    () =>
      deps.store.setPassword(
        user.id,
        { passwordHash, at: deps.clock.now(), emailVerified: true },
        {
          spend: { hash: token.hash, kind: 'reset' },
          revoke: {},
          mail,
          activity: activityEffect(deps, {
            type: 'password-reset',
            method: 'email-link',
            ...originOf(client),
          }),
        },
      ),
    { mail, conflicts: { token: authorizationRequired, user: authorizationRequired } },
  );
}

/**
 * The address of the account a live reset link is for, or null: the reset form names it in a
 * hidden `username` field so a password manager updates the right saved login. The link's holder
 * proved the mailbox, so this tells them nothing new.
 */
export async function resetLinkEmail(deps: AuthDeps, secret: string): Promise<string | null> {
  return (await authenticate(deps, secret, 'reset'))?.user.email ?? null;
}

/** Whether a reset link is still good, for showing its form (a GET never spends it). */
export async function isResetTokenValid(deps: AuthDeps, secret: string): Promise<boolean> {
  return (await authenticate(deps, secret, 'reset')) !== null;
}
