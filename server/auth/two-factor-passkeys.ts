import type { UserRecord } from '../store/store.js';
import { commit } from './commit.js';
import { AuthError } from './errors.js';
import {
  createUserHandle,
  type PasskeyRelyingParty,
  passkeyRegistrationOptions,
  verifyPasskeyRegistration,
} from './passkeys.js';
import {
  type FactorReauthentication,
  noteActivity,
  notice,
  requireFactorReauthentication,
} from './two-factor.js';
import type { PasskeyRecord } from './two-factor-store.js';
import type { AuthDeps, Authenticated } from './types.js';

/**
 * Issue 17: an account's passkeys, added with a name, listed and removed. The WebAuthn user handle
 * is made once, with the first passkey, from random bytes (never the id or the email).
 */

/** The longest passkey name kept (it is shown in lists and emails). */
export const PASSKEY_NAME_MAX = 60;

/** A name as typed, trimmed; `VALIDATION_ERROR name: presence | format` when empty or too long. */
export function passkeyName(input: string): string {
  const name = input.trim().replace(/\s+/g, ' ');
  if (!name) throw new AuthError('VALIDATION_ERROR', { name: ['presence'] });
  if (name.length > PASSKEY_NAME_MAX) throw new AuthError('VALIDATION_ERROR', { name: ['format'] });
  return name;
}

/** Registration options for this account (its passkeys excluded); keep `challenge` in the session. */
export async function passkeyRegistrationFor(deps: AuthDeps, rp: PasskeyRelyingParty, user: UserRecord) {
  const { store } = deps;
  let { userHandle } = await store.getTwoFactor(user.id);
  if (userHandle === null) {
    userHandle = createUserHandle();
    await commit(deps, () => store.setUserHandle(user.id, userHandle as string));
  }
  return passkeyRegistrationOptions(rp, {
    userHandle,
    userName: user.email,
    existing: await store.listPasskeys(user.id),
  });
}

/**
 * Stores a verified new passkey under `name` and tells the owner.
 * @throws VALIDATION_ERROR (name), PASSKEY_REJECTED
 */
export async function addPasskey(
  deps: AuthDeps,
  rp: PasskeyRelyingParty,
  user: UserRecord,
  input: { name: string; response: unknown; expectedChallenge: string },
): Promise<PasskeyRecord> {
  const name = passkeyName(input.name);
  if (!input.expectedChallenge) throw new AuthError('PASSKEY_REJECTED');
  const check = await verifyPasskeyRegistration(rp, input);
  if (!check.verified) throw new AuthError('PASSKEY_REJECTED');
  const mail = [notice(deps, user, 'passkey-added', { name })];
  const created = deps.clock.now().toISOString();
  const stored = await commit(
    deps,
    () => deps.store.addPasskey(user.id, { ...check.passkey, name, created, lastUsed: null }, { mail }),
    { mail, conflicts: { passkey: () => new AuthError('PASSKEY_REJECTED') } },
  );
  await noteActivity(deps, user.id, { type: 'passkey-added', detail: { name } });
  return stored;
}

/** The account's passkeys, oldest first. */
export async function listPasskeys(deps: AuthDeps, user: UserRecord): Promise<PasskeyRecord[]> {
  return deps.store.listPasskeys(user.id);
}

/**
 * Removes one passkey. Re-authentication with what the account has comes first (its password, and
 * a current code when the authenticator app is on), whether or not it is the last one: a stolen
 * session must not be able to take a factor away.
 * @throws REAUTHENTICATION_REQUIRED, USER_NOT_FOUND (no such passkey of this account)
 */
export async function removePasskey(
  deps: AuthDeps,
  proof: Authenticated,
  credentialId: string,
  reauth: FactorReauthentication,
): Promise<void> {
  const { store } = deps;
  const passkey = (await store.listPasskeys(proof.user.id)).find((p) => p.credentialId === credentialId);
  if (!passkey) throw new AuthError('USER_NOT_FOUND');
  await requireFactorReauthentication(deps, proof, reauth);
  const mail = [notice(deps, proof.user, 'passkey-removed', { name: passkey.name })];
  const removed = await commit(deps, () => store.removePasskey(proof.user.id, credentialId, { mail }), {
    mail,
  });
  if (!removed) throw new AuthError('USER_NOT_FOUND');
  await noteActivity(deps, proof.user.id, { type: 'passkey-removed', detail: { name: passkey.name } });
}
