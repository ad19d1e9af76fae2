import {
  hasPassword,
  type NewIdentity,
  NO_PASSWORD,
  StoreConflictError,
  type UserId,
  type UserRecord,
} from '../store/store.js';
import { type ActivityEntry, activityEffect, recordActivity } from './activity.js';
import { isDisabled } from './admin-store.js';
import { commit } from './commit.js';
import { type ClientInfo, deviceName } from './devices.js';
import { AuthError, emailNotVerified, loginFailed, userNotFound } from './errors.js';
import { issueSession } from './sessions.js';
import { type SecondStep, secondStepFor } from './two-factor-login.js';
import type { AuthDeps, LoginResult } from './types.js';
import { checkNewAccount } from './validation.js';

/**
 * Issue 16: accounts and OpenID Connect identities, the part other libraries get wrong (better-auth
 * GHSA-g38m-r43w-p2q7: an identity whose email matched an account was signed straight into it).
 * The rules, in order:
 *  1. an identity (issuer + subject) already linked logs into its account;
 *  2. a new identity is matched by email only when the provider says `email_verified: true`, and
 *     even then it never logs into an existing account by itself: the person logs in to that account
 *     first (its password or a provider already linked to it), then confirms the link;
 *  3. a new identity with a verified email no account holds creates an account, verified, with no
 *     password (NO_PASSWORD); it can get one through the emailed reset link;
 *  4. an identity whose email is not verified never links, creates or finds an account by email.
 * While logged in, a person may link any identity of theirs (the login is the proof, not the email)
 * and unlink one, never the last way left to log in. Every sign-in, link and unlink is in the
 * account's security activity. No provider token is kept.
 */

/** Who the provider says signed in (server/oidc's OidcIdentity has this shape). */
export type ProviderIdentity = Readonly<{
  issuer: string;
  subject: string;
  email: string | null;
  /** True only for a boolean `true` claim. */
  emailVerified: boolean;
  name: string | null;
}>;

/** What a provider sign-in led to. */
export type ProviderSignIn =
  /** Logged in; `created`: a new account was made for this identity. */
  | { outcome: 'session'; session: LoginResult; created: boolean }
  /** The account has two-factor on: the same second step as after a password. */
  | { outcome: 'second-step'; secondStep: SecondStep }
  /**
   * An account holds the identity's (verified) email: log in to it first, then confirm the link.
   * `ticket` is sealed; keep it in this browser only and hand it back to {@link completePendingLink}.
   */
  | { outcome: 'link-required'; ticket: string; email: string };

/** A linked identity as the connections page shows it: the store's record without its owner. */
export type Connection = NewIdentity;

/** How a pending link is sealed, and how long it may wait for the person to log in. */
export const PENDING_LINK_SECONDS = 600;

function entry(
  type: ActivityEntry['type'],
  providerId: string,
  client: ClientInfo | undefined,
): ActivityEntry {
  const device = deviceName(client?.userAgent);
  return {
    type,
    method: 'oidc',
    detail: { provider: providerId },
    ...(client?.ip ? { ip: client.ip } : {}),
    ...(device ? { device } : {}),
  };
}

const identityTaken = () => new AuthError('IDENTITY_TAKEN');
const linkExpired = () => new AuthError('LINK_EXPIRED');

/**
 * The sign-in of a person the provider vouched for (rules 1 to 4 above).
 * @throws LOGIN_FAILED (a disabled account), LOGIN_FAILED_EMAIL_NOT_VERIFIED (a linked account
 *   whose email this app still waits to see verified), IDENTITY_EMAIL_UNVERIFIED (a new identity
 *   without a verified, usable email)
 */
export async function signInWithIdentity(
  deps: AuthDeps,
  providerId: string,
  identity: ProviderIdentity,
  client?: ClientInfo,
): Promise<ProviderSignIn> {
  const { store } = deps;
  for (let attempt = 0; ; attempt += 1) {
    const known = await store.findUserByIdentity(identity.issuer, identity.subject);
    if (known) return logInLinked(deps, providerId, known.user, client);
    // Rule 4: without the provider's word for the address, the email proves nothing.
    if (!identity.emailVerified || identity.email === null) throw new AuthError('IDENTITY_EMAIL_UNVERIFIED');
    let email: Awaited<ReturnType<typeof checkNewAccount>>['email'];
    try {
      ({ email } = await checkNewAccount(deps, { email: identity.email, username: null, password: null }));
    } catch (error) {
      if (error instanceof AuthError && error.code === 'VALIDATION_ERROR')
        throw new AuthError('IDENTITY_EMAIL_UNVERIFIED');
      throw error;
    }
    const owner = await deps.store.findUserByEmailKey(email.key);
    // Rule 2: the address is someone's account; only that account's own log-in may link it.
    if (owner)
      return {
        outcome: 'link-required',
        ticket: sealPendingLink(deps, owner.id, providerId, identity),
        email: owner.email,
      };
    try {
      const user = await commit(
        deps,
        () =>
          store.createUserWithIdentity(
            {
              email: email.address,
              emailKey: email.key,
              username: null,
              usernameKey: null,
              passwordHash: NO_PASSWORD,
              emailVerified: true,
              created: deps.clock.now().toISOString(),
            },
            newIdentity(deps, providerId, identity),
            () => ({ activity: activityEffect(deps, entry('identity-linked', providerId, client)) }),
          ),
        {},
      );
      const session = await issueSession(deps, user, undefined, client);
      await recordActivity(deps, user.id, entry('login', providerId, client));
      return { outcome: 'session', session, created: true };
    } catch (error) {
      // A racing request linked this identity or took this email between our reads and our write:
      // look again (once), and the rules above decide with what is there now.
      if (error instanceof StoreConflictError && attempt === 0) continue;
      throw error;
    }
  }
}

async function logInLinked(
  deps: AuthDeps,
  providerId: string,
  user: UserRecord,
  client: ClientInfo | undefined,
): Promise<ProviderSignIn> {
  if (isDisabled(user)) throw loginFailed();
  if (deps.settings.emailVerificationRequired && !user.emailVerified) throw emailNotVerified();
  // Issue 17: a provider is a first factor like a password; two-factor still asks for the second.
  const secondStep = await secondStepFor(deps, user);
  if (secondStep) return { outcome: 'second-step', secondStep };
  const session = await issueSession(deps, user, undefined, client);
  await recordActivity(deps, user.id, entry('login', providerId, client));
  return { outcome: 'session', session, created: false };
}

function newIdentity(deps: AuthDeps, providerId: string, identity: ProviderIdentity) {
  return {
    providerId,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    linkedAt: deps.clock.now().toISOString(),
  };
}

type PendingLinkBody = {
  k: 'oidc-link';
  u: UserId;
  p: string;
  i: string;
  s: string;
  e: string | null;
  t: number;
};

function sealPendingLink(
  deps: AuthDeps,
  userId: UserId,
  providerId: string,
  identity: ProviderIdentity,
): string {
  const body: PendingLinkBody = {
    k: 'oidc-link',
    u: userId,
    p: providerId,
    i: identity.issuer,
    s: identity.subject,
    e: identity.email,
    t: deps.clock.now().getTime(),
  };
  return deps.sealer.seal(JSON.stringify(body));
}

/** A link waiting for its account's log-in, as the confirmation page shows it. */
export type PendingLink = Readonly<{
  providerId: string;
  email: string | null;
  issuer: string;
  subject: string;
}>;

/**
 * The pending link `ticket` holds, if it is ours, under PENDING_LINK_SECONDS old and for `user`
 * (the account its email matched): a ticket carried to another account links nothing.
 * @throws LINK_EXPIRED
 */
export function openPendingLink(deps: AuthDeps, ticket: string, user: Pick<UserRecord, 'id'>): PendingLink {
  let body: PendingLinkBody;
  try {
    body = JSON.parse(deps.sealer.open(ticket)) as PendingLinkBody;
  } catch {
    throw linkExpired();
  }
  const age = deps.clock.now().getTime() - body.t;
  if (body.k !== 'oidc-link' || body.u !== user.id || !(age >= 0 && age <= PENDING_LINK_SECONDS * 1000))
    throw linkExpired();
  return { providerId: body.p, email: body.e, issuer: body.i, subject: body.s };
}

/**
 * Links the pending identity to the logged-in `user`, who just proved the account (rule 2).
 * @throws LINK_EXPIRED, IDENTITY_TAKEN
 */
export async function completePendingLink(
  deps: AuthDeps,
  ticket: string,
  user: UserRecord,
  client?: ClientInfo,
): Promise<Connection> {
  const pending = openPendingLink(deps, ticket, user);
  return (
    await linkToAccount(
      deps,
      user,
      pending.providerId,
      {
        issuer: pending.issuer,
        subject: pending.subject,
        email: pending.email,
        emailVerified: true,
        name: null,
      },
      client,
    )
  ).connection;
}

/**
 * Links an identity to the logged-in `user` ("Connect" on the connections page): the log-in is
 * the proof, so the identity's email plays no part. `already`: it was this account's already.
 * @throws IDENTITY_TAKEN when another account has it
 */
export async function linkToAccount(
  deps: AuthDeps,
  user: UserRecord,
  providerId: string,
  identity: ProviderIdentity,
  client?: ClientInfo,
): Promise<{ connection: Connection; already: boolean }> {
  const { store } = deps;
  const known = await store.findUserByIdentity(identity.issuer, identity.subject);
  if (known) {
    if (known.user.id !== user.id) throw identityTaken();
    return { connection: known.identity, already: true };
  }
  const linked = await commit(
    deps,
    () =>
      store.linkIdentity(user.id, newIdentity(deps, providerId, identity), {
        activity: activityEffect(deps, entry('identity-linked', providerId, client)),
      }),
    { conflicts: { identity: identityTaken, user: userNotFound } },
  );
  return { connection: linked, already: false };
}

/** The account's linked identities (oldest first) and its other ways to log in. */
export async function listConnections(
  deps: AuthDeps,
  user: UserRecord,
): Promise<{ connections: Connection[]; hasPassword: boolean; passkeys: number }> {
  const { store } = deps;
  const [connections, passkeys] = await Promise.all([
    store.listIdentities(user.id),
    store.listPasskeys(user.id),
  ]);
  return { connections, hasPassword: hasPassword(user), passkeys: passkeys.length };
}

/** The provider ids linked to the account, for the API's user object. */
export async function linkedProviders(deps: AuthDeps, userId: UserId): Promise<string[]> {
  const identities = await deps.store.listIdentities(userId);
  return [...new Set(identities.map((identity) => identity.providerId))];
}

/**
 * Unlinks one of the account's identities, unless it is the last way to log in (no password, no
 * passkey, no other identity): the person sets a password through the reset link first. The write
 * is guarded by the account's version, so two unlinks racing cannot both pass the check.
 * @throws USER_NOT_FOUND (not this account's), LAST_SIGN_IN_METHOD
 */
export async function unlinkFromAccount(
  deps: AuthDeps,
  userId: UserId,
  issuer: string,
  subject: string,
  client?: ClientInfo,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const user = await deps.store.findUserById(userId);
    if (!user) throw userNotFound();
    const { connections, hasPassword: withPassword, passkeys } = await listConnections(deps, user);
    const target = connections.find((each) => each.issuer === issuer && each.subject === subject);
    if (!target) throw userNotFound();
    if (!withPassword && passkeys === 0 && connections.length === 1)
      throw new AuthError('LAST_SIGN_IN_METHOD');
    try {
      const removed = await deps.store.unlinkIdentity(userId, issuer, subject, {
        guard: { version: user.version },
        activity: activityEffect(deps, entry('identity-unlinked', target.providerId, client)),
      });
      if (!removed) throw userNotFound();
      return;
    } catch (error) {
      // The account changed since it was read (another unlink, a password set, a deletion): decide
      // again on what is there now, once; a second change in a row ends as the rule's refusal.
      if (!(error instanceof StoreConflictError && error.field === 'user')) throw error;
      if (attempt > 0) throw new AuthError('LAST_SIGN_IN_METHOD');
    }
  }
}
