import type { FeatureStore, PasskeyRecord, Store, TwoFactorState } from '../store/store.js';

/**
 * The store records issue 17 needs (STORE-B's FeatureStore). `Store` does not extend it until
 * PostgreSQL has every method, so the domain reaches them through {@link factorStore}: a store
 * without them (a PostgreSQL store today) keeps working with two-factor off.
 */

/** The store's second-factor records (STORE-B's FeatureStore, issue 17 part). */
export type { PasskeyRecord, TwoFactorState };

/** What the domain needs of the store for second factors (every write bumps the user's version). */
export type TwoFactorStore = Pick<
  FeatureStore,
  | 'getTwoFactor'
  | 'setTotp'
  | 'acceptTotpStep'
  | 'setRecoveryCodes'
  | 'spendRecoveryCode'
  | 'setUserHandle'
  | 'addPasskey'
  | 'listPasskeys'
  | 'findPasskeyWithUser'
  | 'usePasskey'
  | 'removePasskey'
>;

/** Whether this store keeps second factors (STORE-B's additions have landed in it). */
export function keepsSecondFactors(store: Store): store is Store & TwoFactorStore {
  const candidate = store as Store & Partial<Record<keyof TwoFactorStore, unknown>>;
  return typeof candidate.getTwoFactor === 'function' && typeof candidate.addPasskey === 'function';
}

/** The store's second-factor records; throws when the store has none (a programming error). */
export function factorStore(store: Store): Store & TwoFactorStore {
  if (!keepsSecondFactors(store))
    throw new Error('this store keeps no second factors (issue 17 store records)');
  return store;
}

/** Two-factor is on when the account has an authenticator app or a passkey. */
export function secondFactorOn(state: TwoFactorState, passkeys: readonly PasskeyRecord[]): boolean {
  return state.totpSecret !== null || passkeys.length > 0;
}
