import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../server/store/store.js';

/**
 * Polls `check` until it holds. The deadline is generous on purpose: it only bounds a wait for
 * something that must happen, so a slow, loaded CI machine takes longer instead of failing; the
 * assertions that follow say what must be true once it has happened.
 */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  withinMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(50);
  }
}

/**
 * Until the mail queue holds nothing: every email queued so far has been handed to the mail server,
 * so an email that is not there by then was never sent (no timing guess: the store says so).
 */
export function mailQueueEmpty(store: Pick<Store, 'mailQueueStats'>): Promise<void> {
  return until('the mail queue empty', async () => (await store.mailQueueStats()).depth === 0);
}
