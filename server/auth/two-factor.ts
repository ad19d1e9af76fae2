import type { MailKind } from '../mail/mailer.js';
import type { UserId, UserRecord } from '../store/store.js';
import { requireReauthentication } from './account.js';
import { type ActivityEntry, recordActivity } from './activity.js';
import { commit } from './commit.js';
import { AuthError } from './errors.js';
import { newMail, signInLink } from './outgoing-mail.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js';
import { createTotpSecret, totpUri, verifyTotp } from './totp.js';
import { type PasskeyRecord, secondFactorOn, type TwoFactorState } from './two-factor-store.js';
import type { AuthDeps, Authenticated } from './types.js';

/**
 * Issue 17: the authenticator app (TOTP) and recovery codes, turned on, off and renewed. The
 * secret is sealed with the emailed links' key before it is stored and never shown again; a code
 * is spent by storing its time step (a later code only); recovery codes are kept as hashes.
 */

/** What the account page shows: which factors are on, how many recovery codes are left. */
export type TwoFactorSummary = Readonly<{
  on: boolean;
  totp: boolean;
  recoveryCodesLeft: number;
  passkeys: readonly PasskeyRecord[];
}>;

export async function twoFactorSummary(deps: AuthDeps, userId: UserId): Promise<TwoFactorSummary> {
  const { store } = deps;
  const [state, passkeys] = await Promise.all([store.getTwoFactor(userId), store.listPasskeys(userId)]);
  return {
    on: secondFactorOn(state, passkeys),
    totp: state.totpSecret !== null,
    recoveryCodesLeft: state.recoveryCodeHashes.length,
    passkeys,
  };
}

/** A new secret for the enrolment page: `sealed` waits in the page session, `uri` goes in the QR code. */
export type TotpEnrolment = Readonly<{ secret: string; sealed: string; uri: string }>;

/** Starts an enrolment (nothing is stored until one correct code): a new secret, sealed. */
export function beginTotpEnrolment(deps: AuthDeps, user: UserRecord, issuer: string): TotpEnrolment {
  const secret = createTotpSecret();
  return {
    secret,
    sealed: deps.sealer.seal(secret),
    uri: totpUri({ secret, issuer, accountName: user.email }),
  };
}

/** The secret of an enrolment in progress, shown again while the person types the code. */
export function openEnrolment(
  deps: AuthDeps,
  user: UserRecord,
  sealed: string,
  issuer: string,
): TotpEnrolment {
  const secret = openSealed(deps, sealed);
  if (secret === null) throw new AuthError('MFA_EXPIRED');
  return { secret, sealed, uri: totpUri({ secret, issuer, accountName: user.email }) };
}

/**
 * Turns the authenticator app on once the person proved it works with one correct code; returns
 * the ten recovery codes to show once (a fresh set, replacing any old one).
 * @throws INVALID_CODE, MFA_EXPIRED (the sealed secret cannot be opened)
 */
export async function confirmTotpEnrolment(
  deps: AuthDeps,
  user: UserRecord,
  input: { sealed: string; code: string },
): Promise<{ recoveryCodes: string[] }> {
  const secret = openSealed(deps, input.sealed);
  if (secret === null) throw new AuthError('MFA_EXPIRED');
  const step = await verifyTotp({ secret, code: input.code, clock: deps.clock });
  if (step === null) throw new AuthError('INVALID_CODE');
  const { codes, hashes } = generateRecoveryCodes();
  const { store } = deps;
  const mail = [notice(deps, user, 'two-factor-on')];
  await commit(
    deps,
    async () => {
      await store.setRecoveryCodes(user.id, hashes);
      return store.setTotp(user.id, { secret: input.sealed, lastStep: step, at: deps.clock.now() }, { mail });
    },
    { mail },
  );
  await noteActivity(deps, user.id, { type: 'two-factor-on', method: 'totp' });
  return { recoveryCodes: codes };
}

/** Proof for turning a factor off or renewing codes: the password, and a current code if the app is on. */
export type FactorReauthentication = { currentPassword: string; code?: string };

/**
 * Re-authentication with what the account has: its password, and (with the app on) a current
 * code or a recovery code. A session alone, however fresh, is not enough to weaken the account.
 * @throws REAUTHENTICATION_REQUIRED (problems: currentPassword or code: ['invalid'])
 */
export async function requireFactorReauthentication(
  deps: AuthDeps,
  proof: Authenticated,
  reauth: FactorReauthentication,
): Promise<void> {
  await requireReauthentication(deps, proof, { currentPassword: reauth.currentPassword });
  const { store } = deps;
  const state = await store.getTwoFactor(proof.user.id);
  if (state.totpSecret === null) return;
  const accepted = await acceptSecondFactorCode(deps, proof.user, state, reauth.code ?? '');
  if (!accepted) throw new AuthError('REAUTHENTICATION_REQUIRED', { code: ['invalid'] });
}

/**
 * Turns the authenticator app off and drops the recovery codes (passkeys stay: they are removed
 * one by one on their page).
 * @throws REAUTHENTICATION_REQUIRED
 */
export async function turnOffTotp(deps: AuthDeps, proof: Authenticated, reauth: FactorReauthentication) {
  await requireFactorReauthentication(deps, proof, reauth);
  const { store } = deps;
  const mail = [notice(deps, proof.user, 'two-factor-off')];
  await commit(
    deps,
    async () => {
      await store.setRecoveryCodes(proof.user.id, []);
      return store.setTotp(proof.user.id, null, { mail });
    },
    { mail },
  );
  await noteActivity(deps, proof.user.id, { type: 'two-factor-off', method: 'totp' });
}

/**
 * A fresh set of ten recovery codes (the old ones stop working), shown once.
 * @throws REAUTHENTICATION_REQUIRED
 */
export async function regenerateRecoveryCodes(
  deps: AuthDeps,
  proof: Authenticated,
  reauth: FactorReauthentication,
): Promise<string[]> {
  await requireFactorReauthentication(deps, proof, reauth);
  const { codes, hashes } = generateRecoveryCodes();
  await commit(deps, () => deps.store.setRecoveryCodes(proof.user.id, hashes));
  await noteActivity(deps, proof.user.id, { type: 'recovery-codes-generated' });
  return codes;
}

/**
 * Accepts a current authenticator code (spending its time step) or a recovery code (spending it,
 * telling the owner). False for anything else: one answer for wrong, reused, drifted or malformed.
 */
export async function acceptSecondFactorCode(
  deps: AuthDeps,
  user: UserRecord,
  state: TwoFactorState,
  code: string,
): Promise<false | 'totp' | 'recovery-code'> {
  const { store } = deps;
  if (state.totpSecret !== null) {
    const secret = openSealed(deps, state.totpSecret);
    const step =
      secret === null
        ? null
        : await verifyTotp({ secret, code, clock: deps.clock, lastTimeStep: state.totpLastStep });
    // The store takes the step only if it is later than the stored one: of two racing uses of
    // one code, exactly one wins.
    if (step !== null) return (await store.acceptTotpStep(user.id, step)) ? 'totp' : false;
  }
  const recovery = normalizeRecoveryCode(code);
  if (recovery === null) return false;
  // Queued in the same write as the spend, so it goes only if the code was there to spend.
  const leftAfter = String(Math.max(0, state.recoveryCodeHashes.length - 1));
  const mail = [notice(deps, user, 'recovery-code-used', { left: leftAfter })];
  const left = await commit(
    deps,
    () => store.spendRecoveryCode(user.id, hashRecoveryCode(recovery), { mail }),
    {
      mail,
    },
  );
  if (left === null) return false;
  await noteActivity(deps, user.id, { type: 'recovery-code-used', detail: { left: String(left) } });
  return 'recovery-code';
}

/** A notice of a second-factor change to the account's address (no token: it only informs). */
export function notice(
  deps: AuthDeps,
  user: UserRecord,
  kind: MailKind,
  params: Record<string, string> = {},
) {
  return newMail(deps, kind, user.email, { link: signInLink(deps.settings), params });
}

function openSealed(deps: AuthDeps, sealed: string): string | null {
  try {
    return deps.sealer.open(sealed);
  } catch {
    return null;
  }
}

/** One security activity entry (issue 14's shape). */
export type FactorActivity = ActivityEntry;

/** Every second-factor event lands in the account's security activity (issue 14). */
export async function noteActivity(deps: AuthDeps, userId: UserId, entry: FactorActivity): Promise<void> {
  await recordActivity(deps, userId, entry);
}
