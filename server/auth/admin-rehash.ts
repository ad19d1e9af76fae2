import type { UserRecord } from '../store/store.js';
import { commit } from './commit.js';
import { loginFailed } from './errors.js';
import type { AuthDeps } from './types.js';

/** The cost a bcrypt hash was made at (`$2b$12$…` → 12), or null for anything else. */
export function bcryptCost(hash: string): number | null {
  const match = /^\$2[aby]\$(\d{2})\$/.exec(hash);
  return match ? Number(match[1]) : null;
}

/**
 * After a right password: when the stored hash was made at another cost than BCRYPT_ROUNDS (a
 * LoopBack 3 import at its default 10, or a cost raised since), hash the password again at ours.
 * Only now is the password known, so this is the one moment it can be done. `passwordChanged`
 * keeps its instant: the person changed nothing. Guarded by the old hash, so a password change
 * racing the login wins and the login fails as any login racing a change does.
 * @throws LOGIN_FAILED when the password changed meanwhile
 */
export async function rehashIfCostDiffers(
  deps: AuthDeps,
  user: UserRecord,
  password: string,
): Promise<UserRecord> {
  // An account without a password (a provider's sign-in only) has nothing to rehash.
  const stored = user.passwordHash;
  const cost = bcryptCost(stored);
  if (cost === null || cost === deps.settings.bcryptRounds) return user;
  const passwordHash = await deps.hasher.hash(password, deps.settings.bcryptRounds);
  return commit(
    deps,
    () =>
      deps.store.setPassword(
        user.id,
        { passwordHash, at: new Date(user.passwordChanged) },
        { guard: { passwordHash: stored } },
      ),
    { conflicts: { user: loginFailed } },
  );
}
