import { randomBytes } from 'node:crypto';
import type { UserId, UserRecord } from '../store/store.js';
import { recordActivity } from './activity.js';
import { isDisabled } from './admin-store.js';
import { emailKey } from './canonical.js';
import { commit } from './commit.js';
import { invalidInput, userNotFound } from './errors.js';
import { accountDeletedNotice } from './notices.js';
import { linkToken, newMail } from './outgoing-mail.js';
import { issueToken } from './tokens.js';
import type { AuthDeps } from './types.js';
import { checkNewAccount } from './validation.js';

/**
 * The operator's rules (issue 18): what `npm run admin` does to accounts, whichever process runs
 * it (the server behind its admin socket, or the CLI holding the store itself). Nothing here knows
 * of sockets, terminals or files; every write goes through commit() like the rest of the domain.
 */

/** Who a command is about: an email (matched by its canonical key) or a numeric id. */
export type AccountRef = { email: string } | { id: UserId };

const PAGE = 1000;

/** The account `ref` names, or null. */
export async function findAccount(deps: AuthDeps, ref: AccountRef): Promise<UserRecord | null> {
  if ('id' in ref) return deps.store.findUserById(ref.id);
  const key = emailKey(ref.email);
  return key === null ? null : deps.store.findUserByEmailKey(key);
}

/** The account `ref` names. @throws USER_NOT_FOUND */
export async function requireAccount(deps: AuthDeps, ref: AccountRef): Promise<UserRecord> {
  const user = await findAccount(deps, ref);
  if (!user) throw userNotFound();
  return user;
}

/** Every account matching the filter, by id; read page by page so a large store is never one read. */
export async function listAccounts(
  deps: AuthDeps,
  filter: { search?: string | null; unverified?: boolean } = {},
): Promise<UserRecord[]> {
  const { store } = deps;
  const found: UserRecord[] = [];
  let after: UserId | undefined;
  for (;;) {
    const page = await store.listUsers({
      ...(filter.search ? { search: filter.search } : {}),
      ...(filter.unverified ? { unverified: true } : {}),
      ...(after !== undefined ? { after } : {}),
      limit: PAGE,
    });
    found.push(...page);
    const last = page.at(-1);
    if (page.length < PAGE || !last) return found;
    after = last.id;
  }
}

export type NewAccount = {
  email: string;
  username?: string | null;
  verified: boolean;
  /** The chosen password, or null to invite: the person chooses one through an emailed link. */
  password: string | null;
};

/**
 * Creates an account as the operator asks. With a password, the usual password policy applies;
 * unverified, it gets the usual verification email. Without one (an invitation), the password is
 * random and never shown to anyone, and the person gets a link to choose theirs (following it
 * proves the mailbox, so the account is verified then).
 * @throws VALIDATION_ERROR (email, username, password problems; uniqueness), PASSWORD_TOO_LONG
 */
export async function createAccount(deps: AuthDeps, input: NewAccount): Promise<UserRecord> {
  const { email, username } = await checkNewAccount(deps, input);
  if (await deps.store.findUserByEmailKey(email.key)) throw invalidInput({ email: ['uniqueness'] });

  const invite = input.password === null;
  // An invited account's password is 32 random bytes nobody keeps: no one can log in with it.
  const password = input.password ?? randomBytes(32).toString('base64url');
  const passwordHash = await deps.hasher.hash(password, deps.settings.bcryptRounds);
  const now = deps.clock.now();
  return commit(
    deps,
    () =>
      deps.store.createUser(
        {
          email: email.address,
          emailKey: email.key,
          username: username?.name ?? null,
          usernameKey: username?.key ?? null,
          passwordHash,
          emailVerified: input.verified,
          created: now.toISOString(),
        },
        (id) => {
          if (invite) {
            const { token, link } = inviteToken(deps);
            return { issue: [token], mail: [newMail(deps, 'invite', email.address, { link, token })] };
          }
          if (input.verified) return {};
          const { token, link } = linkToken(deps, id, 'verify');
          return { issue: [token], mail: [newMail(deps, 'verify', email.address, { link, token })] };
        },
      ),
    {
      mail: invite || !input.verified,
      conflicts: {
        email: () => invalidInput({ email: ['uniqueness'] }),
        username: () => invalidInput({ username: ['uniqueness'] }),
      },
    },
  );
}

/**
 * An invitation opens the reset page (choose a password) with a reset token that lives as long as
 * a verification link: an invitation is read days later more often than a reset is.
 */
function inviteToken(deps: AuthDeps) {
  const { secret, record } = issueToken('reset', deps.settings.verifyTokenTtl, deps.clock.now());
  const url = new URL('/reset-password', deps.settings.appUrl);
  url.searchParams.set('access_token', secret);
  return { token: record, link: url.href };
}

/** Marks the email verified (the operator vouches for it); pending verification links go. */
export async function verifyAccount(deps: AuthDeps, user: UserRecord): Promise<UserRecord> {
  if (user.emailVerified) return user;
  const verified = await commit(
    deps,
    () => deps.store.markEmailVerified(user.id, { revoke: { kinds: ['verify'] } }),
    { conflicts: { user: userNotFound } },
  );
  await recordActivity(deps, user.id, { type: 'email-verified', method: 'admin' });
  return verified;
}

/**
 * A fresh reset link, replacing any earlier one: emailed to the account's address, or (`print`)
 * handed back for a support person to pass on, never emailed. The caller records who printed it.
 */
export async function resetLinkFor(
  deps: AuthDeps,
  user: UserRecord,
  options: { print: boolean },
): Promise<{ link: string | null }> {
  const { token, link } = linkToken(deps, user.id, 'reset');
  const mail = options.print ? [] : [newMail(deps, 'reset', user.email, { link, token })];
  await commit(deps, () => deps.store.issueToken(user.id, token, { revoke: { kinds: ['reset'] }, mail }), {
    mail,
    conflicts: { user: userNotFound },
  });
  // A printed link is a way into the account that bypassed its mailbox: its owner sees it happened.
  if (options.print) await recordActivity(deps, user.id, { type: 'reset-link-printed', method: 'admin' });
  return { link: options.print ? link : null };
}

/**
 * Disables or enables an account. Disabling revokes every token of it in the same write, so each
 * session and each emailed link stops working at once; logIn and authenticate refuse a disabled
 * account too (sessions.ts), so a token issued by a login racing the write opens nothing either.
 */
export async function setAccountDisabled(
  deps: AuthDeps,
  user: UserRecord,
  disabled: boolean,
): Promise<UserRecord> {
  if (isDisabled(user) === disabled) return user;
  const { store } = deps;
  const changed = await commit(
    deps,
    () => store.setDisabled(user.id, disabled, disabled ? { revoke: {} } : {}),
    { conflicts: { user: userNotFound } },
  );
  await recordActivity(deps, user.id, {
    type: disabled ? 'account-disabled' : 'account-enabled',
    method: 'admin',
  });
  return changed;
}

/**
 * Deletes the account with its tokens and queued mail; false when it was already gone. The owner
 * is told, as when they delete it themselves: the notice is queued in the deletion's own write.
 */
export async function deleteAccountAsAdmin(deps: AuthDeps, user: UserRecord): Promise<boolean> {
  const mail = [accountDeletedNotice(deps, user, undefined, 'operator')];
  return commit(deps, () => deps.store.deleteUser(user.id, { mail }), { mail });
}

/** Ends every session of the account (its access tokens); returns how many there were. */
export async function revokeSessions(deps: AuthDeps, user: UserRecord): Promise<number> {
  const revoked = await deps.store.revokeTokens(user.id, { kinds: ['access'] });
  await recordActivity(deps, user.id, {
    type: 'sessions-revoked',
    method: 'admin',
    detail: { count: String(revoked) },
  });
  return revoked;
}
