import { emailKey, foldCase, usernameKey } from '../../auth/canonical.js';

/**
 * The limiter's key for an identifier as typed: the domain's canonical key (so case, spacing or a
 * fullwidth letter gains nothing), or the case-folded text when it has no canonical form (it is
 * still counted: a refusal must not depend on whether the input was well-formed). Capped in length
 * so a hostile identifier cannot grow the limiter's memory.
 */
export function identifierKey(typed: string): string {
  const trimmed = typed.trim();
  if (!trimmed) return '';
  const key = trimmed.includes('@') ? emailKey(trimmed) : usernameKey(trimmed);
  return (key ?? foldCase(trimmed)).slice(0, 320);
}

/** The limiter's key for a target email ('' when none). */
export function mailKey(typed: string): string {
  const trimmed = typed.trim();
  if (!trimmed) return '';
  return (emailKey(trimmed) ?? foldCase(trimmed)).slice(0, 320);
}
