import { StoreConflictError, type UserRecord } from '../store/store.js';
import { emailKey, usernameKey } from './canonical.js';
import { answerNoSoonerThan, commit } from './commit.js';
import { invalidInput } from './errors.js';
import { linkToken, newMail, signInLink } from './outgoing-mail.js';
import type { AuthDeps, SignUpInput, TakenPolicy } from './types.js';
import { checkNewAccount } from './validation.js';

/** Default constant-time floor for resend and reset (see AuthSettings.answerFloorMs). */
export const DEFAULT_ANSWER_FLOOR_MS = 50;

/**
 * Creates an account and queues its verification email. The username is checked before the
 * email, so a taken username says so whatever the email (a username is a public name; whether an
 * email has an account must not show). When the email is taken, `onTaken: 'reject'` throws
 * VALIDATION_ERROR (`email: uniqueness`, LoopBack's API behaviour); `'notify-owner'` creates
 * nothing, emails the owner that someone tried, and returns `null` so the caller answers exactly
 * as for a new account.
 * @throws VALIDATION_ERROR (email: presence | custom.email | characters | uniqueness;
 *   username: format | characters | uniqueness; password: password.*), PASSWORD_TOO_LONG
 */
export async function signUp(
  deps: AuthDeps,
  input: SignUpInput,
  onTaken: TakenPolicy,
): Promise<UserRecord | null> {
  const { email, username } = await checkNewAccount(deps, input);
  const emailOwner = await deps.store.findUserByEmailKey(email.key);
  if (emailOwner && onTaken === 'reject') throw invalidInput({ email: ['uniqueness'] });

  // The same bcrypt work whether or not the email is taken, so the answer's time does not tell.
  const passwordHash = await deps.hasher.hash(input.password, deps.settings.bcryptRounds);
  if (emailOwner) {
    await notifyOwnerOfAttempt(deps, emailOwner.email);
    return null;
  }
  const now = deps.clock.now();
  const taken = { username: () => invalidInput({ username: ['uniqueness'] }) };
  try {
    return await commit(
      deps,
      () =>
        deps.store.createUser(
          {
            email: email.address,
            emailKey: email.key,
            username: username?.name ?? null,
            usernameKey: username?.key ?? null,
            passwordHash,
            emailVerified: false,
            created: now.toISOString(),
          },
          (id) => {
            const { token, link } = linkToken(deps, id, 'verify');
            return { issue: [token], mail: [newMail(deps, 'verify', email.address, { link, token })] };
          },
        ),
      {
        mail: true,
        conflicts:
          onTaken === 'reject' ? { ...taken, email: () => invalidInput({ email: ['uniqueness'] }) } : taken,
      },
    );
  } catch (error) {
    // notify-owner: another request took the email between our check and our write; answer as
    // for a new account, as when the check saw it.
    if (error instanceof StoreConflictError && error.field === 'email') return null;
    throw error;
  }
}

/** Tells an address's owner that someone tried to sign up with it (instead of saying so). */
async function notifyOwnerOfAttempt(deps: AuthDeps, to: string): Promise<void> {
  const mail = [newMail(deps, 'signup-attempt', to, { link: signInLink(deps.settings) })];
  await commit(deps, () => deps.store.enqueueMail(mail), { mail });
}

/**
 * Sends a new verification link to a known, unverified account (named by email or username, as
 * the login form takes it), replacing any earlier one; does nothing otherwise, silently. Takes at
 * least the constant-time floor either way, so its time tells nothing about the account.
 */
export async function resendVerification(deps: AuthDeps, identifier: string): Promise<void> {
  const started = performance.now();
  try {
    const user = await findByIdentifier(deps, identifier);
    if (!user || user.emailVerified) return;
    const { token, link } = linkToken(deps, user.id, 'verify');
    const mail = [newMail(deps, 'verify', user.email, { link, token })];
    await commit(deps, () => deps.store.issueToken(user.id, token, { revoke: { kinds: ['verify'] }, mail }), {
      mail,
    });
  } finally {
    await answerNoSoonerThan(started, deps.settings.answerFloorMs ?? DEFAULT_ANSWER_FLOOR_MS);
  }
}

/**
 * What a single "email or username" field names: usernames cannot hold an @, so the field is an
 * email exactly when it has one.
 */
export function identifierFields(identifier: string): { email: string } | { username: string } {
  const value = identifier.trim();
  return value.includes('@') ? { email: value } : { username: value };
}

/** The account an email or username names (by its canonical key), or null. */
export async function findByIdentifier(deps: AuthDeps, identifier: string): Promise<UserRecord | null> {
  if (!identifier.trim()) return null;
  const fields = identifierFields(identifier);
  const key = 'email' in fields ? emailKey(fields.email) : usernameKey(fields.username);
  if (key === null) return null;
  return 'email' in fields ? deps.store.findUserByEmailKey(key) : deps.store.findUserByUsernameKey(key);
}
