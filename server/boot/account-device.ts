import type { Context } from 'koa';
import type { ClientInfo } from '../auth/devices.js';
import { notifyNewSignIn } from '../auth/notices.js';
import type { AuthDeps } from '../auth/types.js';
import { accountTagsCookie } from '../middleware/account-tags-cookie.js';
import { withoutPort } from '../middleware/rate-limit.js';
import type { UserId } from '../store/store.js';

/**
 * Issue 14: where a page request comes from, and whether this browser has signed in to the
 * account before. A page sign-in from a browser without this account's known-device cookie emails
 * the owner "a new sign-in"; then the browser gets the cookie (signed with SESSION_KEYS, a year
 * long) so the next sign-in from it stays quiet. The cookie names accounts as salted hashes of
 * their ids, so it does not tell who uses the browser; a forged or unsigned one is ignored (and
 * so at worst causes one more notice, never one fewer).
 */

const knownDevice = accountTagsCookie('known-device');

/** The client of a page request: a browser session, its address without a port, its user agent. */
export function pageClient(ctx: Context): ClientInfo {
  return { ip: withoutPort(ctx.ip), userAgent: ctx.get('user-agent') || null, session: 'browser' };
}

/** Whether this browser has signed in to the account before (it carries the account's tag). */
export function knowsAccount(ctx: Context, userId: UserId): boolean {
  return knownDevice.names(knownDevice.read(ctx), String(userId));
}

/** Marks this browser as one that signed in to the account. */
export function rememberAccount(ctx: Context, userId: UserId): void {
  knownDevice.add(ctx, knownDevice.read(ctx), String(userId));
}

/**
 * After a page sign-in (password, second factor, passkey, confirmation link, provider): a new
 * browser gets the owner told, then is remembered.
 */
export async function noteBrowserSignIn(
  ctx: Context,
  auth: AuthDeps,
  user: { id: UserId; email: string },
): Promise<void> {
  if (!knowsAccount(ctx, user.id)) await notifyNewSignIn(auth, user, pageClient(ctx));
  rememberAccount(ctx, user.id);
}
