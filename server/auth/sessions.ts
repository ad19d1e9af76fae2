import {
  hasPassword,
  type TokenKind,
  type TokenRecord,
  type UserId,
  type UserRecord,
} from '../store/store.js';
import { type ActivityEntry, recordActivity } from './activity.js';
import { rehashIfCostDiffers } from './admin-rehash.js';
import { isDisabled } from './admin-store.js';
import { emailKey, usernameKey } from './canonical.js';
import { commit } from './commit.js';
import { type ClientInfo, deviceName, sessionMetadata } from './devices.js';
import { AuthError, emailNotVerified, loginFailed, usernameOrEmailRequired } from './errors.js';
import { originOf } from './notices.js';
import { MAX_PASSWORD_BYTES, verifyAgainstDummy } from './passwords.js';
import { hashToken, isExpired, issueToken, looksLikeToken } from './tokens.js';
import { type SecondStep, secondStepFor } from './two-factor-login.js';
import type { AuthDeps, Authenticated, LoginInput, LoginResult } from './types.js';

/** Default cap on live access tokens per account: far above a real person's devices. */
export const DEFAULT_MAX_ACCESS_TOKENS = 100;

/**
 * Checks the credentials and issues an access token. Unknown users cost one bcrypt compare against
 * a dummy hash and get the same LOGIN_FAILED as a wrong password, so neither the answer nor its
 * time tells which accounts exist. An account keeps at most `maxAccessTokens` live tokens (the
 * oldest go first), so endless successful logins cannot grow it without bound.
 * @throws USERNAME_EMAIL_REQUIRED, LOGIN_FAILED, LOGIN_FAILED_EMAIL_NOT_VERIFIED
 */
export async function logIn(deps: AuthDeps, input: LoginInput): Promise<LoginResult> {
  if (!input.email && !input.username) throw usernameOrEmailRequired();
  const key = input.email ? emailKey(input.email) : usernameKey(input.username ?? '');
  const found =
    key === null
      ? null
      : input.email
        ? await deps.store.findUserByEmailKey(key)
        : await deps.store.findUserByUsernameKey(key);
  if (!(await passwordMatches(deps, found, input.password)) || !found) {
    // Issue 14: the owner sees failed sign-ins in their log; the answer stays the same for anyone.
    if (found) await recordActivity(deps, found.id, loginActivity('login-failed', input.client));
    throw loginFailed();
  }
  // Issue 18: a disabled account answers exactly as a wrong password.
  if (isDisabled(found)) throw loginFailed();
  // Issue 18: a hash of another cost (an imported LoopBack 3 one) is redone now the password is known.
  const user = await rehashIfCostDiffers(deps, found, input.password);
  if (deps.settings.emailVerificationRequired && !user.emailVerified) throw emailNotVerified();
  // Issue 17: an account with a second factor never gets a session from its password alone.
  if (await secondStepFor(deps, user)) throw new AuthError('MFA_REQUIRED');
  const session = await issueSession(deps, user, input.ttl, input.client);
  await recordActivity(deps, user.id, loginActivity('login', input.client));
  return session;
}

/** Issue 14: a password sign-in's activity entry (device named, never the raw header). */
function loginActivity(type: 'login' | 'login-failed', client: ClientInfo | undefined): ActivityEntry {
  const device = deviceName(client?.userAgent);
  return {
    type,
    method: 'password',
    ...(client?.ip ? { ip: client.ip } : {}),
    ...(device ? { device } : {}),
  };
}

/**
 * Issue 17's sign-in: like {@link logIn}, but an account with a second factor gets the second
 * step (a five-minute ticket; see two-factor-login.ts) instead of a session.
 * @throws USERNAME_EMAIL_REQUIRED, LOGIN_FAILED, LOGIN_FAILED_EMAIL_NOT_VERIFIED
 */
export async function logInSteps(
  deps: AuthDeps,
  input: LoginInput,
): Promise<{ session: LoginResult } | { secondStep: SecondStep }> {
  try {
    return { session: await logIn(deps, input) };
  } catch (error) {
    if (!(error instanceof AuthError && error.code === 'MFA_REQUIRED')) throw error;
  }
  // The password was right a moment ago; the ticket binds it, so a change meanwhile voids it.
  const key = input.email ? emailKey(input.email) : usernameKey(input.username ?? '');
  const user =
    key === null
      ? null
      : input.email
        ? await deps.store.findUserByEmailKey(key)
        : await deps.store.findUserByUsernameKey(key);
  const secondStep = user ? await secondStepFor(deps, user, input.ttl) : null;
  if (!secondStep) throw loginFailed();
  return { secondStep };
}

/**
 * Whether `password` is the user's; an unknown user (null) costs the same bcrypt compare against a
 * dummy hash and never matches.
 */
export async function passwordMatches(
  deps: AuthDeps,
  user: UserRecord | null,
  password: string,
): Promise<boolean> {
  // bcrypt reads 72 bytes; a longer password was never accepted, so it must not match on its prefix.
  const comparable = Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
  // A provider-only account has no hash to compare: it costs the dummy's work, as an unknown user does.
  if (user && comparable && hasPassword(user)) return deps.hasher.compare(password, user.passwordHash);
  return verifyAgainstDummy(deps.hasher, password, deps.settings.bcryptRounds);
}

/**
 * Issues an access token to a user whose password was just checked: only if that password is
 * still the password (a login racing a password change must not leave a token the change was
 * meant to end), keeping at most the configured number of live tokens.
 * @throws LOGIN_FAILED when the password changed meanwhile
 */
export async function issueSession(
  deps: AuthDeps,
  user: UserRecord,
  ttl?: number,
  client?: ClientInfo,
): Promise<LoginResult> {
  // Issue 18: no path (password, link, second factor, provider) opens a disabled account.
  if (isDisabled(user)) throw loginFailed();
  const { settings } = deps;
  const lifetime = Math.min(ttl ?? settings.accessTokenTtl, settings.maxAccessTokenTtl);
  const issued = issueToken('access', lifetime, deps.clock.now());
  const { secret } = issued;
  // Issue 14: a public id, the client's address and user agent, the first use (NewToken's metadata).
  const record = { ...issued.record, ...sessionMetadata(client, deps.clock.now()) };
  const token = await commit(
    deps,
    () =>
      deps.store.issueToken(user.id, record, {
        guard: { passwordHash: user.passwordHash },
        keepAtMost: settings.maxAccessTokens ?? DEFAULT_MAX_ACCESS_TOKENS,
      }),
    { conflicts: { user: loginFailed } },
  );
  return { secret, token, user };
}

/**
 * The user and token a secret proves, or null, in one store round trip. Only tokens of `kind`
 * count: a reset token opens nothing but the reset form, and a login token cannot reset a
 * password. Expired tokens are refused (the sweeper deletes them: no write on this hot path).
 */
export async function authenticate(
  deps: AuthDeps,
  secret: string,
  kind: TokenKind = 'access',
): Promise<Authenticated | null> {
  if (!looksLikeToken(secret)) return null;
  const found = await deps.store.findTokenWithUser(hashToken(secret));
  if (!found || found.token.kind !== kind || isExpired(found.token, deps.clock.now())) return null;
  // Issue 18: a disabled account's tokens stop working at once, even one a racing login issued.
  if (isDisabled(found.user)) return null;
  return found;
}

/**
 * Spends one access token (this device's session). A log-out the person asked for passes where it
 * came from (`client`) and lands in their activity log; a session replaced by a new sign-in in the
 * same browser passes none and is not logged (the sign-in is).
 */
export async function logOut(deps: AuthDeps, token: TokenRecord, client?: ClientInfo): Promise<void> {
  await deps.store.revokeTokens(token.userId, { hashes: [token.hash] });
  if (client) await recordActivity(deps, token.userId, { type: 'logout', ...originOf(client) });
}

/** Spends every access token of the user: every device is logged out (and the log says so). */
export async function logOutEverywhere(deps: AuthDeps, userId: UserId, client?: ClientInfo): Promise<void> {
  const count = await deps.store.revokeTokens(userId, { kinds: ['access'] });
  await recordActivity(deps, userId, {
    type: 'sessions-revoked',
    ...originOf(client),
    detail: { count: String(count), scope: 'all' },
  });
}

/**
 * Revokes one of the user's access tokens by its hash; false when it was not theirs or is gone.
 * The owner's log records it (detail.session: the token's public id, never its hash).
 */
export async function revokeAccessToken(
  deps: AuthDeps,
  userId: UserId,
  hash: string,
  client?: ClientInfo,
): Promise<boolean> {
  const tokens = await deps.store.listUserTokens(userId);
  const token = tokens.find((candidate) => candidate.hash === hash && candidate.kind === 'access');
  if (!token) return false;
  const revoked = (await deps.store.revokeTokens(userId, { kinds: ['access'], hashes: [hash] })) > 0;
  if (revoked)
    await recordActivity(deps, userId, {
      type: 'session-revoked',
      ...originOf(client),
      ...(token.id ? { detail: { session: token.id } } : {}),
    });
  return revoked;
}

/** The user's live access tokens, oldest first (expired ones are left out; the sweeper deletes them). */
export async function listAccessTokens(deps: AuthDeps, userId: UserId): Promise<TokenRecord[]> {
  const now = deps.clock.now();
  const tokens = await deps.store.listUserTokens(userId);
  return tokens.filter((token) => token.kind === 'access' && !isExpired(token, now));
}
