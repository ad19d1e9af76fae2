import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Recovery codes: the way back in when the authenticator app is lost. Ten, shown once, stored
 * only as SHA-256 hashes (a fast hash is enough: each code holds 80 random bits, so a copied store
 * cannot be searched for them as it could for passwords), each spent by its first use.
 */

/** How many codes a new set holds. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's Base32: no i, l, o or u, so a code copied from paper reads back unambiguously.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 16; // 16 symbols × 5 bits = 80 bits

function randomCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let index = 0; index < CODE_LENGTH; index += 1) {
    code = ALPHABET[Number(bits & 31n)] + code;
    bits >>= 5n;
  }
  return code;
}

/** The canonical form of a typed code (case, spaces, dashes and look-alike letters forgiven), or null. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (code.length !== CODE_LENGTH || [...code].some((char) => !ALPHABET.includes(char))) return null;
  return code;
}

/** The stored form of a code: SHA-256 (hex) of its canonical form. */
export function hashRecoveryCode(code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new Error('not a recovery code');
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * A new set: `codes` to show the person once (as `xxxx-xxxx-xxxx-xxxx`), `hashes` to store in
 * place of the previous set (a new set always replaces the old one).
 */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: count }, () => randomCode().replace(/(.{4})(?!$)/g, '$1-'));
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/**
 * Verify-and-spend: if `input` is one of the stored codes, returns the hashes that remain without
 * it (store them, guarded by the user's version, so two concurrent uses cannot both succeed);
 * otherwise null. Every stored hash is compared, in constant time, whatever matches.
 */
export function spendRecoveryCode(hashes: readonly string[], input: string): string[] | null {
  const canonical = normalizeRecoveryCode(input);
  if (canonical === null) return null;
  const candidate = Buffer.from(createHash('sha256').update(canonical).digest('hex'));
  let found = -1;
  hashes.forEach((hash, index) => {
    const stored = Buffer.from(hash);
    if (stored.length === candidate.length && timingSafeEqual(stored, candidate) && found === -1)
      found = index;
  });
  return found === -1 ? null : hashes.filter((_, index) => index !== found);
}
