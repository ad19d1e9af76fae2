import { randomUUID } from 'node:crypto';
import {
  type StoreChange,
  StoreConflictError,
  type StoreGuard,
  type TokenRecord,
  tokenExpiresAt,
  type UserRecord,
} from '../store/store.js';
import {
  type AuthError,
  authorizationRequired,
  emailNotVerified,
  emailRequired,
  invalidCurrentPassword,
  invalidVerificationToken,
  loginFailed,
  userNotFound,
  usernameOrEmailRequired,
  validationFailed,
} from './errors.js';
import { passwordResetLink, queuedMail, signInLink, verificationLink } from './outgoing-mail.js';
import { checkPasswordPolicy, MAX_PASSWORD_BYTES, verifyAgainstDummy } from './passwords.js';
import { hashToken, isExpired, issueToken, looksLikeToken } from './tokens.js';
import type {
  AuthDeps,
  Authenticated,
  LoginInput,
  LoginResult,
  ProfileChanges,
  SignUpInput,
  TakenPolicy,
} from './types.js';

// RFC 5321 caps a path at 254 characters; the shape check is deliberately loose (one @, a dot
// in the domain, no spaces): the verification email is the real test of an address. Characters
// with a meaning in an address header (<>()[],;:"\) are refused: nodemailer would read
// `a@evil.example,b` or `<x>y@example.com` as another recipient than the one stored.
const EMAIL_SHAPE = /^[^\s@<>()[\],;:"\\\p{Cc}]+@[^\s@<>()[\],;:"\\\p{Cc}]+\.[^\s@<>()[\],;:"\\\p{Cc}]+$/u;
// No @ in usernames, so "email or username" in the login form is never ambiguous.
const USERNAME_SHAPE = /^[^\s@\p{Cc}]{1,64}$/u;

/**
 * The changes that replace a user's emailed link of `kind` with a fresh one and queue the email
 * carrying it; committed together, so a 2xx always has its email on the way.
 */
function freshLinkChanges(
  deps: AuthDeps,
  user: Pick<UserRecord, 'id' | 'email'>,
  kind: 'verify' | 'reset',
  now: Date,
): StoreChange[] {
  const ttl = kind === 'verify' ? deps.settings.verifyTokenTtl : deps.settings.resetTokenTtl;
  const { secret, record } = issueToken(user.id, kind, ttl, now);
  const link =
    kind === 'verify'
      ? verificationLink(deps.settings, user.id, secret)
      : passwordResetLink(deps.settings, secret);
  return [
    { type: 'deleteUserTokens', userId: user.id, kinds: [kind] },
    { type: 'putToken', token: record },
    { type: 'putMail', mail: queuedMail(deps.sealer, kind, user.email, link, now) },
  ];
}

/**
 * Commits a password change decided before a slow step (bcrypt): applied to the user as stored now,
 * so a profile change made meanwhile is kept, and only if the password is still the one that was
 * checked (and every guard holds) — otherwise `refused()` is thrown and nothing is applied.
 */
async function commitPasswordChange(
  deps: AuthDeps,
  checked: UserRecord,
  change: Pick<UserRecord, 'passwordHash' | 'passwordChanged'> & Partial<UserRecord>,
  alsoChanges: readonly StoreChange[],
  guards: readonly StoreGuard[],
  refused: () => AuthError,
): Promise<UserRecord> {
  const latest = await deps.store.findUserById(checked.id);
  if (!latest) throw refused();
  const updated: UserRecord = { ...latest, ...change };
  try {
    await deps.store.commit(
      [{ type: 'putUser', user: updated }, ...alsoChanges],
      [{ type: 'passwordUnchanged', userId: checked.id, passwordHash: checked.passwordHash }, ...guards],
    );
  } catch (error) {
    if (error instanceof StoreConflictError && (error.field === 'user' || error.field === 'token'))
      throw refused();
    throw error;
  }
  return updated;
}

type FieldProblems = Record<string, { code: string; message: string }[]>;

function checkEmail(email: string, problems: FieldProblems) {
  if (!email) problems.email = [{ code: 'presence', message: "can't be blank" }];
  else if (email.length > 254 || !EMAIL_SHAPE.test(email))
    problems.email = [{ code: 'custom.email', message: 'must be a valid email' }];
}

function checkUsername(username: string | null | undefined, problems: FieldProblems) {
  if (username && !USERNAME_SHAPE.test(username)) {
    problems.username = [{ code: 'format', message: 'must be 1 to 64 characters without spaces or @' }];
  }
}

/** Adds the password's problem (if any) to the field problems, or returns the stand-alone error. */
function checkPassword(deps: AuthDeps, password: string, email: string, username: string | null | undefined) {
  return checkPasswordPolicy(password, { minLength: deps.settings.passwordMinLength, email, username });
}

function mergePasswordProblem(problems: FieldProblems, passwordError: AuthError | null): AuthError | null {
  if (!passwordError) return null;
  if (passwordError.code !== 'VALIDATION_ERROR') return passwordError;
  const messages = passwordError.details?.messages.password ?? [];
  const codes = passwordError.details?.codes.password ?? [];
  problems.password = codes.map((code, index) => ({ code, message: messages[index] ?? code }));
  return null;
}

/**
 * Creates an account and queues its verification email. When the email or username is taken,
 * `onTaken: 'reject'` throws LoopBack's 422; `'notify-owner'` creates nothing, emails the owner
 * that someone tried, and returns `null` so the caller answers exactly as for a new account.
 */
export async function signUp(
  deps: AuthDeps,
  input: SignUpInput,
  onTaken: TakenPolicy,
): Promise<UserRecord | null> {
  const email = input.email.trim();
  const username = input.username?.trim() || null;
  const problems: FieldProblems = {};
  checkEmail(email, problems);
  checkUsername(username, problems);
  const standalone = mergePasswordProblem(problems, checkPassword(deps, input.password, email, username));
  if (standalone) throw standalone;

  const emailOwner = problems.email ? null : await deps.store.findUserByEmail(email);
  const usernameOwner = username && !problems.username ? await deps.store.findUserByUsername(username) : null;
  if (onTaken === 'reject' && emailOwner)
    problems.email = [{ code: 'uniqueness', message: 'Email already exists' }];
  // A username is a public name people choose, so a taken one is said plainly — unless the email is
  // taken too, which the form must not reveal.
  if (usernameOwner && (onTaken === 'reject' || !emailOwner)) {
    problems.username = [{ code: 'uniqueness', message: 'User already exists' }];
  }
  if (Object.keys(problems).length > 0) throw validationFailed(problems);

  const now = deps.clock.now();
  if (emailOwner) {
    // The form must not reveal that an account exists; its owner hears about the attempt instead.
    const owner = emailOwner;
    // The same bcrypt work as a new account, so the answer's time does not tell either.
    await deps.hasher.hash(input.password, deps.settings.bcryptRounds);
    await deps.store.commit([
      {
        type: 'putMail',
        mail: queuedMail(deps.sealer, 'signup-attempt', owner.email, signInLink(deps.settings), now),
      },
    ]);
    deps.events.emit('mailQueued');
    return null;
  }

  const user: UserRecord = {
    id: randomUUID(),
    email,
    username,
    passwordHash: await deps.hasher.hash(input.password, deps.settings.bcryptRounds),
    emailVerified: false,
    created: now.toISOString(),
    passwordChanged: now.toISOString(),
  };
  try {
    await deps.store.commit([{ type: 'putUser', user }, ...freshLinkChanges(deps, user, 'verify', now)]);
  } catch (error) {
    // Another request took the email or username between our check and our commit.
    if (error instanceof StoreConflictError && onTaken === 'reject') {
      const message = error.field === 'email' ? 'Email already exists' : 'User already exists';
      throw validationFailed({ [error.field]: [{ code: 'uniqueness', message }] });
    }
    if (error instanceof StoreConflictError) return null;
    throw error;
  }
  deps.events.emit('mailQueued');
  return user;
}

/**
 * Checks the credentials and issues an access token. Unknown users cost one bcrypt compare against
 * a dummy hash and get the same LOGIN_FAILED as a wrong password, so neither the answer nor its
 * time tells which accounts exist.
 */
export async function logIn(deps: AuthDeps, input: LoginInput): Promise<LoginResult> {
  const { settings } = deps;
  if (!input.email && !input.username) throw usernameOrEmailRequired();
  const user = input.email
    ? await deps.store.findUserByEmail(input.email)
    : await deps.store.findUserByUsername(input.username ?? '');
  // bcrypt reads 72 bytes; a longer password was never accepted, so it must not match on its prefix.
  const comparable = Buffer.byteLength(input.password, 'utf8') <= MAX_PASSWORD_BYTES;
  const passwordMatches =
    user && comparable
      ? await deps.hasher.compare(input.password, user.passwordHash)
      : await verifyAgainstDummy(deps.hasher, input.password, settings.bcryptRounds);
  if (!user || !passwordMatches) throw loginFailed();
  if (settings.emailVerificationRequired && !user.emailVerified) throw emailNotVerified();

  const ttl = Math.min(input.ttl ?? settings.accessTokenTtl, settings.maxAccessTokenTtl);
  const { secret, record } = issueToken(user.id, 'access', ttl, deps.clock.now());
  try {
    // Only if the password checked is still the password: a login racing a password change must
    // not leave a token the change was meant to end.
    await deps.store.commit(
      [{ type: 'putToken', token: record }],
      [{ type: 'passwordUnchanged', userId: user.id, passwordHash: user.passwordHash }],
    );
  } catch (error) {
    if (error instanceof StoreConflictError) throw loginFailed();
    throw error;
  }
  return { secret, token: record, user };
}

/**
 * The user and token a secret proves, or null. Only tokens of `kind` count: a reset token opens
 * nothing but the reset form, and a login token cannot reset a password. Expired tokens are
 * refused and deleted.
 */
export async function authenticate(
  deps: AuthDeps,
  secret: string,
  kind: TokenRecord['kind'] = 'access',
): Promise<Authenticated | null> {
  if (!looksLikeToken(secret)) return null;
  const token = await deps.store.findToken(hashToken(secret));
  if (!token || token.kind !== kind) return null;
  // No write on this hot path: the sweeper deletes expired tokens.
  if (isExpired(token, deps.clock.now())) return null;
  const user = await deps.store.findUserById(token.userId);
  return user ? { user, token } : null;
}

/** Spends one access token (this device's session). */
export async function logOut(deps: AuthDeps, token: TokenRecord): Promise<void> {
  await deps.store.commit([{ type: 'deleteToken', hash: token.hash }]);
}

/** Spends every access token of the user: every device is logged out. */
export async function logOutEverywhere(deps: AuthDeps, userId: string): Promise<void> {
  await deps.store.commit([{ type: 'deleteUserTokens', userId, kinds: ['access'] }]);
}

/** Marks the email verified if `secret` is this user's live verification token. */
export async function verifyEmail(deps: AuthDeps, userId: string, secret: string): Promise<UserRecord> {
  const user = await deps.store.findUserById(userId);
  if (!user) throw userNotFound(userId);
  const token = looksLikeToken(secret) ? await deps.store.findToken(hashToken(secret)) : null;
  if (token?.kind !== 'verify' || token.userId !== user.id || isExpired(token, deps.clock.now())) {
    throw invalidVerificationToken();
  }
  const verified: UserRecord = { ...user, emailVerified: true };
  try {
    await deps.store.commit(
      [
        { type: 'putUser', user: verified },
        { type: 'deleteUserTokens', userId: user.id, kinds: ['verify'] },
      ],
      [{ type: 'tokenExists', hash: token.hash }],
    );
  } catch (error) {
    if (error instanceof StoreConflictError) throw invalidVerificationToken();
    throw error;
  }
  return verified;
}

/**
 * What a single "email or username" field names: usernames cannot hold an @, so the field is an
 * email exactly when it has one.
 */
export function identifierFields(identifier: string): { email: string } | { username: string } {
  const value = identifier.trim();
  return value.includes('@') ? { email: value } : { username: value };
}

async function findByIdentifier(deps: AuthDeps, identifier: string): Promise<UserRecord | null> {
  if (!identifier.trim()) return null;
  const fields = identifierFields(identifier);
  return 'email' in fields
    ? deps.store.findUserByEmail(fields.email)
    : deps.store.findUserByUsername(fields.username);
}

/**
 * Sends a new verification link to a known, unverified account (named by email or username, as
 * the login form takes it); does nothing otherwise, silently.
 */
export async function resendVerification(deps: AuthDeps, identifier: string): Promise<void> {
  const user = await findByIdentifier(deps, identifier);
  if (!user || user.emailVerified) {
    await deps.store.commit([]); // the same disk wait as a real request, so timing tells nothing
    return;
  }
  await deps.store.commit(freshLinkChanges(deps, user, 'verify', deps.clock.now()));
  deps.events.emit('mailQueued');
}

/**
 * Queues a reset link for a known address (replacing any earlier link) and answers the same,
 * after the same disk wait, for an unknown one: the caller cannot tell which it was.
 */
export async function requestPasswordReset(deps: AuthDeps, email: string): Promise<void> {
  if (!email.trim()) throw emailRequired();
  const user = await deps.store.findUserByEmail(email.trim());
  if (!user) {
    await deps.store.commit([]);
    return;
  }
  await deps.store.commit(freshLinkChanges(deps, user, 'reset', deps.clock.now()));
  deps.events.emit('resetPasswordRequest', { userId: user.id, email: user.email });
  deps.events.emit('mailQueued');
}

/**
 * Sets a new password with a reset token. The token is spent, and so is every other token of the
 * user: whoever knew the old password is logged out everywhere.
 */
export async function resetPassword(
  deps: AuthDeps,
  secret: string,
  newPassword: string,
): Promise<UserRecord> {
  const proof = await authenticate(deps, secret, 'reset');
  if (!proof) throw authorizationRequired();
  const { user } = proof;
  const problem = checkPassword(deps, newPassword, user.email, user.username);
  if (problem) throw problem;
  const passwordHash = await deps.hasher.hash(newPassword, deps.settings.bcryptRounds);
  // The token is spent by this commit; a second use racing this one finds it gone (401).
  return commitPasswordChange(
    deps,
    user,
    // Following the emailed link proves the person reads this mailbox.
    { passwordHash, passwordChanged: deps.clock.now().toISOString(), emailVerified: true },
    [{ type: 'deleteUserTokens', userId: user.id }],
    [{ type: 'tokenExists', hash: proof.token.hash }],
    authorizationRequired,
  );
}

/**
 * Changes the password of a logged-in user after checking the current one. Every other token of
 * the user (other devices, pending reset links) is deleted. `keep` leaves the caller's token as it
 * is (LoopBack's API behaviour); `rotate` replaces it too and returns a fresh one for a new session.
 */
export async function changePassword(
  deps: AuthDeps,
  user: UserRecord,
  oldPassword: string,
  newPassword: string,
  current: { keep: TokenRecord } | { rotate: TokenRecord },
): Promise<{ user: UserRecord; session: LoginResult | null }> {
  if (!(await deps.hasher.compare(oldPassword, user.passwordHash))) throw invalidCurrentPassword();
  const problem = checkPassword(deps, newPassword, user.email, user.username);
  if (problem) throw problem;
  const passwordHash = await deps.hasher.hash(newPassword, deps.settings.bcryptRounds);
  const now = deps.clock.now();
  const changes: StoreChange[] = [];
  let fresh: ReturnType<typeof issueToken> | null = null;
  if ('keep' in current) {
    changes.push({ type: 'deleteUserTokens', userId: user.id, exceptHash: current.keep.hash });
  } else {
    // The new token lives as long as the old one had left, so "remember me" keeps its meaning.
    const left = Math.max(1, Math.floor((tokenExpiresAt(current.rotate) - now.getTime()) / 1000));
    fresh = issueToken(user.id, 'access', left, now);
    changes.push({ type: 'deleteUserTokens', userId: user.id }, { type: 'putToken', token: fresh.record });
  }
  // Another change of this password meanwhile means the old password checked here is no longer it.
  const updated = await commitPasswordChange(
    deps,
    user,
    { passwordHash, passwordChanged: now.toISOString() },
    changes,
    [],
    invalidCurrentPassword,
  );
  const session = fresh ? { secret: fresh.secret, token: fresh.record, user: updated } : null;
  return { user: updated, session };
}

/**
 * Changes email and/or username. A new email is unverified until its link is followed, so a
 * verification email goes to it and every other token of the user is deleted.
 */
export async function updateProfile(
  deps: AuthDeps,
  user: UserRecord,
  changes: ProfileChanges,
  keepTokenHash: string,
): Promise<UserRecord> {
  const problems: FieldProblems = {};
  const email = changes.email?.trim();
  const username = changes.username === undefined ? undefined : changes.username?.trim() || null;
  if (email !== undefined) checkEmail(email, problems);
  if (username !== undefined) checkUsername(username, problems);
  if (email && !problems.email) {
    const owner = await deps.store.findUserByEmail(email);
    if (owner && owner.id !== user.id)
      problems.email = [{ code: 'uniqueness', message: 'Email already exists' }];
  }
  if (username && !problems.username) {
    const owner = await deps.store.findUserByUsername(username);
    if (owner && owner.id !== user.id)
      problems.username = [{ code: 'uniqueness', message: 'User already exists' }];
  }
  if (Object.keys(problems).length > 0) throw validationFailed(problems);

  const emailChanged = email !== undefined && email.toLowerCase() !== user.email.toLowerCase();
  const updated: UserRecord = {
    ...user,
    ...(email !== undefined ? { email } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(emailChanged ? { emailVerified: false } : {}),
  };
  const storeChanges: StoreChange[] = [{ type: 'putUser', user: updated }];
  if (emailChanged) {
    storeChanges.push(
      { type: 'deleteUserTokens', userId: user.id, exceptHash: keepTokenHash },
      ...freshLinkChanges(deps, updated, 'verify', deps.clock.now()),
    );
  }
  try {
    await deps.store.commit(storeChanges);
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw validationFailed({
        [error.field]: [{ code: 'uniqueness', message: `${error.field} already exists` }],
      });
    }
    throw error;
  }
  if (emailChanged) deps.events.emit('mailQueued');
  return updated;
}

/** Deletes the account and all its tokens. */
export async function deleteAccount(deps: AuthDeps, userId: string): Promise<void> {
  await deps.store.commit([{ type: 'deleteUser', userId }]);
}

/** The user's live tokens (expired ones are left out; the sweeper deletes them). */
export async function listAccessTokens(deps: AuthDeps, userId: string): Promise<TokenRecord[]> {
  const now = deps.clock.now();
  const tokens = await deps.store.listUserTokens(userId);
  return tokens.filter((token) => token.kind === 'access' && !isExpired(token, now));
}

/** Whether a reset link is still good, for showing its form (a GET never spends it). */
export async function isResetTokenValid(deps: AuthDeps, secret: string): Promise<boolean> {
  return (await authenticate(deps, secret, 'reset')) !== null;
}
