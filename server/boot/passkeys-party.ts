import type { AuthError } from '../auth/errors.js';
import { type PasskeyRelyingParty, passkeyProblem, passkeyRelyingParty } from '../auth/passkeys.js';
import type { Deps } from '../deps.js';
import { twoFactorMessages } from './forms/two-factor.js';

/** The relying party's name browsers show in their passkey prompt. */
export const PASSKEY_RP_NAME = 'User management';

const told = new WeakSet<object>();

/**
 * The passkey relying party for APP_URL (id = its host name, origin = its origin), or null when
 * APP_URL cannot carry passkeys (an IP address, plain http off localhost): passkeys are then off,
 * and the log says why once at start.
 */
export function passkeyParty(deps: Deps): PasskeyRelyingParty | null {
  const problem = passkeyProblem(deps.config.appUrl);
  if (problem) {
    if (!told.has(deps.config)) deps.log.warn(`Passkeys are off: ${problem}`);
    told.add(deps.config);
    return null;
  }
  return passkeyRelyingParty(deps.config.appUrl, PASSKEY_RP_NAME);
}

/** A refused re-authentication in the words of the two-factor forms. */
export function reauthErrors(error: AuthError): Record<string, string> {
  if (error.problems?.code) return { code: twoFactorMessages.reauthCode };
  return { currentPassword: twoFactorMessages.wrongPassword };
}
