import type { NewMail, NewToken, ProfileChange, UserId, UserRecord } from '../store/store.js';
import { activityEffect } from './activity.js';
import { commit } from './commit.js';
import type { ClientInfo } from './devices.js';
import {
  AuthError,
  type FieldProblems,
  invalidInput,
  invalidVerificationToken,
  reauthenticationRequired,
} from './errors.js';
import { accountDeletedNotice, originOf } from './notices.js';
import { linkToken, newMail, signInLink } from './outgoing-mail.js';
import { passwordMatches } from './sessions.js';
import { hashToken, isExpired, looksLikeToken } from './tokens.js';
import type { AuthDeps, Authenticated, ProfileChanges, Reauthentication } from './types.js';
import { checkEmail, checkUsername, throwIfProblems } from './validation.js';

/** How recent a login must be to stand in for the current password. */
export const REAUTHENTICATION_WINDOW_SECONDS = 10 * 60;

/**
 * A sensitive change (email change, account deletion) needs the current password or a token
 * issued in the last 10 minutes: a stolen long-lived token must not become a permanent takeover.
 * A `currentPassword` that is sent and wrong always fails, whatever the token's age.
 * @throws REAUTHENTICATION_REQUIRED (problems `currentPassword: ['invalid']` when it was wrong)
 */
export async function requireReauthentication(
  deps: AuthDeps,
  proof: Authenticated,
  reauth: Reauthentication,
): Promise<void> {
  if (reauth.currentPassword !== undefined) {
    if (await passwordMatches(deps, proof.user, reauth.currentPassword)) return;
    throw new AuthError('REAUTHENTICATION_REQUIRED', { currentPassword: ['invalid'] });
  }
  const age = (deps.clock.now().getTime() - Date.parse(proof.token.created)) / 1000;
  if (proof.token.kind === 'access' && age <= REAUTHENTICATION_WINDOW_SECONDS) return;
  throw reauthenticationRequired();
}

/**
 * What goes out for a pending address: its confirmation link, or, when another account holds the
 * address, a notice to that account's owner instead, so no answer says whether it is taken. Adds
 * to `into` (the write's tokens and mail); the asking (updateProfile) and the resend share it.
 */
export async function addNewAddressMail(
  deps: AuthDeps,
  userId: UserId,
  address: { email: string; emailKey: string },
  into: { issue: NewToken[]; mail: NewMail[] },
): Promise<void> {
  const owner = await deps.store.findUserByEmailKey(address.emailKey);
  if (owner && owner.id !== userId) {
    into.mail.push(newMail(deps, 'email-taken-notice', owner.email, { link: signInLink(deps.settings) }));
    return;
  }
  const confirm = linkToken(deps, userId, 'email-confirm');
  into.issue.push(confirm.token);
  into.mail.push(newMail(deps, 'email-confirm', address.email, { link: confirm.link, token: confirm.token }));
}

/**
 * Changes the username and/or starts an email change. A new email stays pending (the old one
 * keeps working for login and reset) until the link sent to it is followed; the old address is
 * told at once, with a link that cancels the change. The answer never depends on whether someone
 * else has the new address: a taken one is answered as a free one, and its owner is told instead
 * of being sent a confirmation link.
 * @throws REAUTHENTICATION_REQUIRED (email change only), VALIDATION_ERROR (email: presence |
 *   custom.email | characters; username: format | characters | uniqueness)
 */
export async function updateProfile(
  deps: AuthDeps,
  proof: Authenticated,
  changes: ProfileChanges,
  client?: ClientInfo,
): Promise<UserRecord> {
  const { user } = proof;
  const problems: FieldProblems = {};
  const email = changes.email === undefined ? undefined : checkEmail(changes.email, problems);
  const username = changes.username === undefined ? undefined : checkUsername(changes.username, problems);
  throwIfProblems(problems);
  const emailChanges = email !== undefined && email !== null && email.key !== user.emailKey;
  if (emailChanges) await requireReauthentication(deps, proof, changes);

  const change: ProfileChange = {};
  if (username !== undefined && (username?.key ?? null) !== user.usernameKey)
    change.username = username ? { username: username.name, usernameKey: username.key } : null;
  if (username && username.key === user.usernameKey && username.name !== user.username)
    change.username = { username: username.name, usernameKey: username.key };
  const issue: NewToken[] = [];
  const mail: NewMail[] = [];
  if (email && emailChanges) {
    change.pendingEmail = { email: email.address, emailKey: email.key };
    await addNewAddressMail(deps, user.id, change.pendingEmail, { issue, mail });
    const cancel = linkToken(deps, user.id, 'email-cancel');
    issue.push(cancel.token);
    mail.push(
      newMail(deps, 'email-change-notice', user.email, {
        link: cancel.link,
        token: cancel.token,
        params: { newEmail: email.address },
      }),
    );
  } else if (email && !emailChanges && user.pendingEmail) {
    // Asking for the current address again ends a pending change.
    change.pendingEmail = null;
  }
  if (change.username === undefined && change.pendingEmail === undefined) return user;
  return commit(
    deps,
    () =>
      deps.store.setProfile(user.id, change, {
        // A new request replaces the old one's links; ending a pending change spends them too.
        ...(emailChanges || change.pendingEmail === null
          ? { revoke: { kinds: ['email-confirm', 'email-cancel'] } }
          : {}),
        issue,
        mail,
        // Issue 14: the request, or the end of a pending one, in the owner's log with the change.
        ...(change.pendingEmail !== undefined
          ? {
              activity: activityEffect(
                deps,
                change.pendingEmail
                  ? {
                      type: 'email-change-requested',
                      ...originOf(client),
                      detail: { email: change.pendingEmail.email },
                    }
                  : { type: 'email-change-cancelled', ...originOf(client) },
              ),
            }
          : {}),
      }),
    { mail, conflicts: { username: () => invalidInput({ username: ['uniqueness'] }) } },
  );
}

/**
 * The old address's "cancel this change" link (a POST from its page; a GET changes nothing): ends
 * the pending email change and spends the change's links.
 * @throws INVALID_TOKEN
 */
export async function cancelEmailChange(
  deps: AuthDeps,
  userId: UserId,
  secret: string,
  client?: ClientInfo,
): Promise<UserRecord> {
  const found = looksLikeToken(secret) ? await deps.store.findTokenWithUser(hashToken(secret)) : null;
  if (
    found?.token.kind !== 'email-cancel' ||
    found.user.id !== userId ||
    isExpired(found.token, deps.clock.now())
  )
    throw invalidVerificationToken();
  return commit(
    deps,
    () =>
      deps.store.setProfile(
        userId,
        { pendingEmail: null },
        {
          spend: { hash: found.token.hash, kind: 'email-cancel' },
          revoke: { kinds: ['email-confirm', 'email-cancel'] },
          activity: activityEffect(deps, {
            type: 'email-change-cancelled',
            method: 'email-link',
            ...originOf(client),
          }),
        },
      ),
    { conflicts: { token: invalidVerificationToken, user: invalidVerificationToken } },
  );
}

/**
 * Deletes the account after re-authentication: the user, every token, the queued mail and the
 * activity log go in one write (the store's cascade), so the address can sign up again at once.
 * Only "your account was deleted" outlives it: queued in that same write with no user, so nothing
 * of the account holds it, a crash cannot part it from the deletion, and an account that was not
 * deleted gets none.
 * @throws REAUTHENTICATION_REQUIRED
 */
export async function deleteAccount(
  deps: AuthDeps,
  proof: Authenticated,
  reauth: Reauthentication,
  client?: ClientInfo,
): Promise<void> {
  await requireReauthentication(deps, proof, reauth);
  const { user } = proof;
  const mail = [accountDeletedNotice(deps, user, client)];
  if (!(await commit(deps, () => deps.store.deleteUser(user.id, { mail }), { mail }))) return;
  deps.events.emit('accountDeleted', {
    userId: user.id,
    method: reauth.currentPassword === undefined ? 'recent-sign-in' : 'password',
    ...originOf(client),
  });
}
