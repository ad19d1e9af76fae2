import type { TokenRecord, UserRecord } from '../store/store.js';
import { activityEffect } from './activity.js';
import { commit } from './commit.js';
import type { ClientInfo } from './devices.js';
import { invalidCurrentPassword } from './errors.js';
import { originOf, passwordChangedNotice } from './notices.js';
import { issueToken } from './tokens.js';
import type { AuthDeps, LoginResult } from './types.js';
import { checkPassword } from './validation.js';

/**
 * Changes the password of a logged-in user after checking the current one. Every other token of
 * the user (other devices, pending reset links) is deleted. `keep` leaves the caller's token as it
 * is (LoopBack's API behaviour); `rotate` replaces it too and returns a fresh one for a new session.
 * The change lands with its activity entry and the owner's "your password was changed" email in
 * one write (issue 14), `client` saying where it came from.
 * @throws INVALID_PASSWORD (wrong old password, or the password changed meanwhile),
 *   VALIDATION_ERROR (password: password.*), PASSWORD_TOO_LONG
 */
export async function changePassword(
  deps: AuthDeps,
  user: UserRecord,
  oldPassword: string,
  newPassword: string,
  current: { keep: TokenRecord } | { rotate: TokenRecord },
  client?: ClientInfo,
): Promise<{ user: UserRecord; session: LoginResult | null }> {
  if (!(await deps.hasher.compare(oldPassword, user.passwordHash))) throw invalidCurrentPassword();
  const problem = checkPassword(deps, newPassword, user.email, user.username, {});
  if (problem) throw problem;
  const passwordHash = await deps.hasher.hash(newPassword, deps.settings.bcryptRounds);
  const now = deps.clock.now();
  // The new token lives as long as the old one had left, so "remember me" keeps its meaning.
  const fresh =
    'rotate' in current
      ? issueToken(
          'access',
          Math.max(1, Math.floor((Date.parse(current.rotate.expiresAt) - now.getTime()) / 1000)),
          now,
        )
      : null;
  const mail = [passwordChangedNotice(deps, user, 'changed', client)];
  // Another change of this password meanwhile means the old password checked here is no longer it.
  const updated = await commit(
    deps,
    () =>
      deps.store.setPassword(
        user.id,
        { passwordHash, at: now },
        {
          guard: { passwordHash: user.passwordHash },
          revoke: 'keep' in current ? { except: current.keep.hash } : {},
          ...(fresh ? { issue: [fresh.record] } : {}),
          mail,
          activity: activityEffect(deps, { type: 'password-changed', ...originOf(client) }),
        },
      ),
    { mail, conflicts: { user: invalidCurrentPassword } },
  );
  const session = fresh
    ? { secret: fresh.secret, token: { ...fresh.record, userId: user.id }, user: updated }
    : null;
  return { user: updated, session };
}
