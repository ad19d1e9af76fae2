import { generate, generateSecret, generateURI, verify } from 'otplib';

/**
 * Authenticator-app codes (TOTP, RFC 6238) with otplib 13: SHA-1, 6 digits, 30-second steps, the
 * settings every authenticator app reads from an otpauth:// URI. Pure rules: the caller keeps the
 * secret sealed in the store with the last accepted time step, and refuses nothing itself.
 */

/** Seconds per code. */
export const TOTP_PERIOD = 30;
/** Digits per code. */
export const TOTP_DIGITS = 6;
/**
 * Clock drift accepted, in seconds either side: with 30-second steps this is exactly the previous
 * and the next step, never two (a phone a minute off is refused, as RFC 6238 §6 advises).
 */
const DRIFT_SECONDS = TOTP_PERIOD;

/** Where time comes from (the domain's Clock has this shape), so tests can move it. */
export type TotpClock = { now(): Date };

/** A new secret: 20 random bytes (160 bits, RFC 4226's recommendation), Base32 as apps expect. */
export function createTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/**
 * The otpauth:// URI an authenticator app scans (as a QR code) or imports: `issuer` names this
 * app in the person's list, `accountName` (their email) tells several accounts apart.
 */
export function totpUri(options: { secret: string; issuer: string; accountName: string }): string {
  return generateURI({
    issuer: options.issuer,
    label: options.accountName,
    secret: options.secret,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });
}

/**
 * What a person typed, as the 6 digits it should hold ("123 456" and "123-456" are fine), or null
 * when it cannot be a code, so a malformed entry is a plain wrong code and never an exception.
 */
export function normalizeTotpCode(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

const epochOf = (clock: TotpClock) => Math.floor(clock.now().getTime() / 1000);

/**
 * Checks a code at the clock's time, one step of drift either way. Returns the time step the code
 * belongs to, which the caller must store; pass the stored one back as `lastTimeStep` and any code
 * of that step or an earlier one is refused, so a code works once (no replay by someone who saw it
 * typed, within its window). Returns null for a wrong, malformed, drifted or replayed code: one
 * answer for all, so a guesser learns nothing. The caller also counts failures (throttling).
 */
export async function verifyTotp(options: {
  secret: string;
  code: string;
  clock: TotpClock;
  lastTimeStep?: number | null;
}): Promise<number | null> {
  const token = normalizeTotpCode(options.code);
  if (token === null) return null;
  const result = await verify({
    secret: options.secret,
    token,
    epoch: epochOf(options.clock),
    epochTolerance: DRIFT_SECONDS,
    period: TOTP_PERIOD,
    digits: TOTP_DIGITS,
    ...(options.lastTimeStep == null ? {} : { afterTimeStep: options.lastTimeStep }),
  });
  // The result type is shared with HOTP; a TOTP match always carries its time step.
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** The code an authenticator app shows at the clock's time (tests; a "current code" preview). */
export async function totpCodeAt(secret: string, clock: TotpClock): Promise<string> {
  return generate({ secret, epoch: epochOf(clock), period: TOTP_PERIOD, digits: TOTP_DIGITS });
}
