import { dictionary } from '@zxcvbn-ts/language-common';
import { foldCase } from './canonical.js';
import { type AuthError, passwordProblem, passwordTooLong } from './errors.js';
import type { PasswordHasher } from './password-hasher.js';

/** bcrypt reads at most 72 bytes; more would be cut silently, so longer passwords are refused. */
export const MAX_PASSWORD_BYTES = 72;

// ~49k passwords seen most often in breaches (zxcvbn's list), lower-cased for a case-blind check.
const commonPasswords = new Set(dictionary['passwords-common'].map((password) => password.toLowerCase()));

/**
 * The common passwords a person could still type at `minLength` characters or more (shorter ones
 * are refused for their length), for the pages' strength indication: 308 words at 12, so the
 * browser can check as one types without a copy of the whole list.
 */
export function commonPasswordsFrom(minLength: number): string[] {
  return [...commonPasswords].filter((password) => [...password].length >= minLength);
}

export type PasswordContext = { minLength: number; email?: string; username?: string | null };

/**
 * NIST SP 800-63B / ASVS V2.1: length from `minLength` characters to 72 bytes, any characters
 * (spaces and emoji included), not a common password nor a repeated or sequential pattern, not the
 * account's own email or username.
 * Returns the error to throw, or null when the password is acceptable.
 */
export function checkPasswordPolicy(password: string, context: PasswordContext): AuthError | null {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return passwordTooLong();
  const characters = [...password].length;
  const problem = passwordProblem;
  if (characters < context.minLength) return problem('password.tooShort');
  const lowered = foldCase(password);
  if (commonPasswords.has(lowered)) {
    return problem('password.common');
  }
  if (isRepetitiveOrSequential(lowered)) {
    return problem('password.repetitive');
  }
  const email = context.email ? foldCase(context.email) : undefined;
  if (email && (lowered === email || lowered === email.split('@')[0])) {
    return problem('password.matchesEmail');
  }
  if (context.username && lowered === foldCase(context.username)) {
    return problem('password.matchesUsername');
  }
  return null;
}

/**
 * NIST SP 800-63B 5.1.1.2 also names "repetitive or sequential characters". Refused: one short
 * unit repeated (`aaaaaaaaaaaa`, `abcabcabcabc`), a common password repeated (`sunshinesunshine`),
 * and an unbroken run with a step of +1 or -1 (`abcdefghijkl`, `lkjihgfedcba`).
 */
function isRepetitiveOrSequential(password: string): boolean {
  const chars = [...password];
  for (let size = 1; size <= chars.length / 2; size++) {
    if (chars.length % size !== 0) continue;
    const unit = chars.slice(0, size).join('');
    if (unit.repeat(chars.length / size) === password && (size <= 4 || commonPasswords.has(unit)))
      return true;
  }
  const codes = chars.map((char) => char.codePointAt(0) ?? 0);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  return (
    (step === 1 || step === -1) &&
    codes.every((code, index) => index === 0 || code - codes[index - 1]! === step)
  );
}

// A real bcrypt hash of a random string: comparing against it when the user is unknown costs the
// same time as a wrong password, so response time does not reveal which emails have accounts.
const DUMMY_HASH = '$2b$10$CwTycUXWue0Thq9StjUM0uJ8.6bD9rGz8W4s8mQy8o3c6wXv3l1xu';

/** Spends one bcrypt compare's worth of time and always answers false. */
export async function verifyAgainstDummy(
  hasher: PasswordHasher,
  password: string,
  rounds: number,
): Promise<false> {
  await hasher.compare(password, dummyHashFor(rounds));
  return false;
}

/** The dummy hash at the configured cost, so the unknown-user compare takes as long as a real one. */
function dummyHashFor(rounds: number): string {
  return DUMMY_HASH.replace('$10$', `$${String(rounds).padStart(2, '0')}$`);
}
