import { domainToASCII } from 'node:url';

/**
 * One canonical form of an email address and of a username, used for the uniqueness keys, the
 * limiter keys and the address mail goes to. Threat: an address that looks like (or is delivered
 * to) someone else's but gets its own key — a soft hyphen, a zero-width space, a fullwidth letter
 * or a Kelvin sign in `bob@example.com` each reach Bob's mailbox under a different key, or squat
 * Bob's key before he signs up.
 */

/** A canonical email: `address` is where mail goes (as typed, once canonical); `key` matches. */
export type CanonicalEmail = { address: string; key: string };

/** A canonical username: `name` is shown as typed (once canonical); `key` matches. */
export type CanonicalUsername = { name: string; key: string };

/** Why a value has no canonical form; the web layer words it. */
export type CanonicalProblem = 'presence' | 'custom.email' | 'format' | 'characters';

// Invisible (default-ignorable, e.g. U+00AD soft hyphen, U+200B zero-width space) or direction-
// changing (U+202E right-to-left override) characters make two different strings look the same.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Cc}]/u;
// RFC 5321 caps a path at 254 characters; the shape check is deliberately loose (one @, a dot in
// the domain, no spaces): the verification email is the real test of an address. Characters with
// a meaning in an address header (<>()[],;:"\) are refused: nodemailer would read
// `a@evil.example,b` or `<x>y@example.com` as another recipient than the one stored.
const EMAIL_SHAPE = /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+\.[^\s@<>()[\],;:"\\]+$/u;
// No @ in usernames, so "email or username" in the login form is never ambiguous.
const USERNAME_SHAPE = /^[^\s@]{1,64}$/u;

/**
 * Case-folds for matching: upper- then lower-casing also folds `ß`/`SS` and the like, which
 * `toLowerCase` alone keeps apart. Over-merging is the safe direction for a uniqueness key.
 */
export function foldCase(value: string): string {
  return value.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * The NFC form of `value`, or null when the value holds a character a person would not see or
 * would not tell apart: invisible or bidirectional controls, compatibility forms (fullwidth `ｅ`,
 * ligatures: NFKC changes them) and singleton canonical mappings (Kelvin sign → K, Ohm sign → Ω).
 * Decomposed accents (`e` + U+0301, as some keyboards type them) are fine: NFC composes them.
 */
export function visibleForm(value: string): string | null {
  if (INVISIBLE.test(value)) return null;
  const nfc = value.normalize('NFC');
  if (nfc.normalize('NFKC') !== nfc) return null;
  for (const char of value) {
    const composed = char.normalize('NFC');
    if (composed !== char && [...composed].length === 1) return null;
  }
  return nfc;
}

/**
 * The canonical form of an email address, or the problem that stops it having one. The domain
 * goes through IDNA/UTS-46 (node's `domainToASCII`) for the key; the local part is case-folded
 * for the key while mail goes to it as typed.
 */
export function canonicalEmail(input: string): CanonicalEmail | CanonicalProblem {
  const trimmed = input.trim();
  if (!trimmed) return 'presence';
  const visible = visibleForm(trimmed);
  if (visible === null) return 'characters';
  if (visible.length > 254 || !EMAIL_SHAPE.test(visible)) return 'custom.email';
  const at = visible.lastIndexOf('@');
  const local = visible.slice(0, at);
  const domain = visible.slice(at + 1);
  const ascii = domainToASCII(domain);
  if (!ascii || ascii.includes('..') || ascii.startsWith('.') || ascii.endsWith('.')) return 'custom.email';
  return { address: visible, key: `${foldCase(local)}@${ascii.toLowerCase()}` };
}

/** The canonical form of a username (the same character rules as emails), or its problem. */
export function canonicalUsername(input: string): CanonicalUsername | CanonicalProblem {
  const trimmed = input.trim();
  if (!trimmed) return 'presence';
  const visible = visibleForm(trimmed);
  if (visible === null) return 'characters';
  if (!USERNAME_SHAPE.test(visible)) return 'format';
  return { name: visible, key: foldCase(visible) };
}

/** The matching key of an email as typed, or null when it has no canonical form (matches nobody). */
export function emailKey(input: string): string | null {
  const canonical = canonicalEmail(input);
  return typeof canonical === 'string' ? null : canonical.key;
}

/** The matching key of a username as typed, or null when it has no canonical form. */
export function usernameKey(input: string): string | null {
  const canonical = canonicalUsername(input);
  return typeof canonical === 'string' ? null : canonical.key;
}
