import type { PasskeyRecord, TwoFactorState } from '../store/store.js';

/** The store's second-factor records (issue 17), as the domain names them. */
export type { PasskeyRecord, TwoFactorState };

/** Two-factor is on when the account has an authenticator app or a passkey. */
export function secondFactorOn(state: TwoFactorState, passkeys: readonly PasskeyRecord[]): boolean {
  return state.totpSecret !== null || passkeys.length > 0;
}
