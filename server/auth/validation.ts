import {
  type CanonicalEmail,
  type CanonicalUsername,
  canonicalEmail,
  canonicalUsername,
} from './canonical.js';
import { type AuthError, type FieldProblems, invalidInput } from './errors.js';
import { checkPasswordPolicy } from './passwords.js';
import type { AuthDeps } from './types.js';

/** The canonical email, or null with its problem recorded in `problems.email`. */
export function checkEmail(input: string, problems: FieldProblems): CanonicalEmail | null {
  const canonical = canonicalEmail(input);
  if (typeof canonical !== 'string') return canonical;
  problems.email = [canonical];
  return null;
}

/**
 * The canonical username (null: none given), or undefined with its problem recorded in
 * `problems.username`.
 */
export function checkUsername(
  input: string | null | undefined,
  problems: FieldProblems,
): CanonicalUsername | null | undefined {
  if (!input?.trim()) return null;
  const canonical = canonicalUsername(input);
  if (typeof canonical !== 'string') return canonical;
  problems.username = [canonical === 'presence' ? 'format' : canonical];
  return undefined;
}

/**
 * Checks the password policy. A password problem among other field problems joins them (one
 * ValidationError lists every field); an over-long password is its own error, as in LoopBack.
 */
export function checkPassword(
  deps: AuthDeps,
  password: string,
  email: string,
  username: string | null | undefined,
  problems: FieldProblems,
): AuthError | null {
  const error = checkPasswordPolicy(password, {
    minLength: deps.settings.passwordMinLength,
    email,
    username,
  });
  if (!error) return null;
  if (error.code !== 'VALIDATION_ERROR') return error;
  // Kept whole: its legacy words carry the minimum length.
  if (Object.keys(problems).length === 0) return error;
  problems.password = error.problems?.password ?? [];
  return null;
}

/** Throws the ValidationError for `problems` when there is any. */
export function throwIfProblems(problems: FieldProblems): void {
  if (Object.keys(problems).length > 0) throw invalidInput(problems);
}

/**
 * The checks every new account passes, whoever creates it (sign-up, the operator): canonical
 * email and username, the password policy (none for an invitation), then the username's
 * uniqueness. The email's uniqueness is left to the caller: sign-up must not reveal it.
 * @throws VALIDATION_ERROR (every field problem at once; a taken username), PASSWORD_TOO_LONG
 */
export async function checkNewAccount(
  deps: AuthDeps,
  input: { email: string; username?: string | null | undefined; password: string | null },
): Promise<{ email: CanonicalEmail; username: CanonicalUsername | null }> {
  const problems: FieldProblems = {};
  const email = checkEmail(input.email, problems);
  const username = checkUsername(input.username, problems);
  if (input.password !== null) {
    const error = checkPassword(
      deps,
      input.password,
      email?.address ?? input.email,
      username?.name,
      problems,
    );
    if (error) throw error;
  }
  throwIfProblems(problems);
  if (!email || username === undefined) throw invalidInput(problems);
  if (username && (await deps.store.findUserByUsernameKey(username.key)))
    throw invalidInput({ username: ['uniqueness'] });
  return { email, username };
}
