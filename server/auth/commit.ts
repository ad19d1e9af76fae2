import { type NewMail, StoreConflictError } from '../store/store.js';
import type { AuthError } from './errors.js';
import type { AuthDeps } from './types.js';

/** Which conflict becomes which domain error; a conflict not listed is rethrown as it is. */
export type ConflictMap = Partial<Record<StoreConflictError['field'], () => AuthError>>;

/**
 * The one way the domain writes: runs `write`, turns a StoreConflictError into the domain error
 * `conflicts` names for it, and — when the write queued `mail` — wakes the mail queue once the
 * write is durable. The wake-up travels with the change, so no path can queue a mail and forget
 * to say so.
 */
export async function commit<T>(
  deps: AuthDeps,
  write: () => Promise<T>,
  options: { mail?: readonly NewMail[] | boolean; conflicts?: ConflictMap } = {},
): Promise<T> {
  const conflicts = options.conflicts ?? {};
  let result: T;
  try {
    result = await write();
  } catch (error) {
    const mapped = error instanceof StoreConflictError ? conflicts[error.field] : undefined;
    if (mapped) throw mapped();
    throw error;
  }
  const { mail } = options;
  if (mail === true || (Array.isArray(mail) && mail.length > 0)) deps.events.emit('mailQueued');
  return result;
}

/**
 * Resolves no sooner than `floorMs` after `started`: a constant-time floor by design, so an
 * answer that needed a write (and its fsync) takes as long as one that did not.
 */
export async function answerNoSoonerThan(started: number, floorMs: number): Promise<void> {
  const left = floorMs - (performance.now() - started);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}
