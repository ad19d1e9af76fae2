import { createHash } from 'node:crypto';
import type { UserId, UserRecord } from '../store/store.js';
import type { ClientInfo } from './devices.js';
import { AuthError } from './errors.js';
import { originOf } from './notices.js';
import {
  describePasskeyAssertion,
  type PasskeyRelyingParty,
  passkeyAuthenticationOptions,
  verifyPasskeyAuthentication,
} from './passkeys.js';
import { issueSession } from './sessions.js';
import { acceptSecondFactorCode, noteActivity } from './two-factor.js';
import { secondFactorOn } from './two-factor-store.js';
import type { AuthDeps, LoginResult } from './types.js';

/**
 * Issue 17: the second step of a sign-in. A right password for an account with two-factor gives a
 * ticket, not a session: a sealed note of who passed the first step and when, valid for five
 * minutes, bound to the password it proved (a password change meanwhile voids it). The page keeps
 * it in its session, the API hands it out as `mfaToken`; the session is issued only after a code,
 * a recovery code or a passkey.
 */

/** The password was right and a second factor is needed: `mfaToken` is the ticket to complete it. */
export class SecondFactorRequired extends AuthError {
  constructor(readonly mfaToken: string) {
    super('MFA_REQUIRED');
  }
}

/** How long a ticket lasts: five minutes, then the person starts again with the password. */
export const SECOND_STEP_SECONDS = 300;

/** Which second factors the person can use on the second step. */
export type SecondStepMethods = Readonly<{ code: boolean; recoveryCode: boolean; passkey: boolean }>;

export type SecondStep = Readonly<{ ticket: string; user: UserRecord; methods: SecondStepMethods }>;

type TicketBody = { u: UserId; p: string; t: number; ttl?: number };

const passwordTag = (user: UserRecord) =>
  createHash('sha256').update(user.passwordHash).digest('base64url').slice(0, 16);

/** The second step this account needs after its password, or null when it has no second factor. */
export async function secondStepFor(
  deps: AuthDeps,
  user: UserRecord,
  ttl?: number,
): Promise<SecondStep | null> {
  const { store } = deps;
  const [state, passkeys] = await Promise.all([store.getTwoFactor(user.id), store.listPasskeys(user.id)]);
  if (!secondFactorOn(state, passkeys)) return null;
  const body: TicketBody = { u: user.id, p: passwordTag(user), t: deps.clock.now().getTime() };
  if (ttl !== undefined) body.ttl = ttl;
  // The user id in clear lets the throttle count wrong codes per account without opening the seal;
  // the sealed part is what counts (checked to name the same id).
  const ticket = `${user.id}.${deps.sealer.seal(JSON.stringify(body))}`;
  const methods = {
    code: state.totpSecret !== null,
    recoveryCode: state.recoveryCodeHashes.length > 0,
    passkey: passkeys.length > 0,
  };
  return { ticket, user, methods };
}

/** The account id a ticket names in clear (for throttling only; never trusted). */
export function ticketAccount(ticket: string): string {
  return /^\d{1,15}\./.test(ticket) ? ticket.slice(0, ticket.indexOf('.')) : '';
}

/**
 * The user a ticket proves passed the first step: sealed by us, under five minutes old, and the
 * password unchanged since.
 * @throws MFA_EXPIRED
 */
export async function openTicket(
  deps: AuthDeps,
  ticket: string,
): Promise<{ user: UserRecord; ttl?: number }> {
  const expired = () => new AuthError('MFA_EXPIRED');
  const account = ticketAccount(ticket);
  if (!account) throw expired();
  let body: TicketBody;
  try {
    body = JSON.parse(deps.sealer.open(ticket.slice(account.length + 1))) as TicketBody;
  } catch {
    throw expired();
  }
  const age = deps.clock.now().getTime() - body.t;
  if (String(body.u) !== account || !(age >= 0 && age <= SECOND_STEP_SECONDS * 1000)) throw expired();
  const user = await deps.store.findUserById(body.u);
  if (!user || passwordTag(user) !== body.p) throw expired();
  return body.ttl === undefined ? { user } : { user, ttl: body.ttl };
}

/**
 * Completes a sign-in with an authenticator code or a recovery code.
 * @throws MFA_EXPIRED, INVALID_CODE
 */
export async function completeWithCode(
  deps: AuthDeps,
  ticket: string,
  code: string,
  client?: ClientInfo,
): Promise<LoginResult> {
  const { user, ttl } = await openTicket(deps, ticket);
  const state = await deps.store.getTwoFactor(user.id);
  const method = await acceptSecondFactorCode(deps, user, state, code);
  if (!method) throw new AuthError('INVALID_CODE');
  const result = await issueSession(deps, user, ttl, client);
  await noteActivity(deps, user.id, { type: 'login', method: `password+${method}`, ...originOf(client) });
  return result;
}

/** Passkey options for the second step: only this account's passkeys are offered. */
export async function secondStepPasskeyOptions(deps: AuthDeps, rp: PasskeyRelyingParty, ticket: string) {
  const { user } = await openTicket(deps, ticket);
  return passkeyAuthenticationOptions(rp, await deps.store.listPasskeys(user.id));
}

/**
 * Completes a sign-in with one of the account's passkeys.
 * @throws MFA_EXPIRED, PASSKEY_REJECTED
 */
export async function completeWithPasskey(
  deps: AuthDeps,
  rp: PasskeyRelyingParty,
  ticket: string,
  input: { response: unknown; expectedChallenge: string },
  client?: ClientInfo,
): Promise<LoginResult> {
  const { user, ttl } = await openTicket(deps, ticket);
  const passkey = await checkPasskey(deps, rp, input);
  if (passkey.userId !== user.id) throw new AuthError('PASSKEY_REJECTED');
  const result = await issueSession(deps, user, ttl, client);
  await noteActivity(deps, user.id, { type: 'login', method: 'password+passkey', ...originOf(client) });
  return result;
}

/**
 * "Log in with a passkey": a discoverable passkey with user verification is the device and its
 * PIN or biometric, two factors on its own, so no password is asked.
 * @throws PASSKEY_REJECTED, LOGIN_FAILED_EMAIL_NOT_VERIFIED
 */
export async function logInWithPasskey(
  deps: AuthDeps,
  rp: PasskeyRelyingParty,
  input: { response: unknown; expectedChallenge: string },
  client?: ClientInfo,
): Promise<LoginResult> {
  const passkey = await checkPasskey(deps, rp, input);
  const user = await deps.store.findUserById(passkey.userId);
  if (!user) throw new AuthError('PASSKEY_REJECTED');
  if (deps.settings.emailVerificationRequired && !user.emailVerified)
    throw new AuthError('LOGIN_FAILED_EMAIL_NOT_VERIFIED');
  const result = await issueSession(deps, user, undefined, client);
  await noteActivity(deps, user.id, { type: 'login', method: 'passkey', ...originOf(client) });
  return result;
}

/** Finds the passkey a response names, checks its owner's handle and its signature, records the use. */
async function checkPasskey(
  deps: AuthDeps,
  rp: PasskeyRelyingParty,
  input: { response: unknown; expectedChallenge: string },
) {
  const rejected = () => new AuthError('PASSKEY_REJECTED');
  const claimed = describePasskeyAssertion(input.response);
  if (!claimed || !input.expectedChallenge) throw rejected();
  const { store } = deps;
  const found = await store.findPasskeyWithUser(claimed.credentialId);
  if (!found) throw rejected();
  const state = await store.getTwoFactor(found.user.id);
  // A discoverable passkey returns its owner's handle: it must be the one we gave that owner.
  if (claimed.userHandle !== null && claimed.userHandle !== state.userHandle) throw rejected();
  const check = await verifyPasskeyAuthentication(rp, { ...input, passkey: found.passkey });
  if (!check.verified) throw rejected();
  await store.usePasskey(found.passkey.credentialId, { counter: check.counter, at: deps.clock.now() });
  return found.passkey;
}
