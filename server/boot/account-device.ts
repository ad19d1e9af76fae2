import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { ClientInfo } from '../auth/devices.js';
import { notifyNewSignIn } from '../auth/notices.js';
import type { AuthDeps } from '../auth/types.js';
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

const LIFETIME_MS = 365 * 24 * 3600 * 1000;
/** A shared computer remembers a few accounts, newest first. */
const MAX_ACCOUNTS = 8;

/** The client of a page request: a browser session, its address without a port, its user agent. */
export function pageClient(ctx: Context): ClientInfo {
  return { ip: withoutPort(ctx.ip), userAgent: ctx.get('user-agent') || null, session: 'browser' };
}

const cookieName = (ctx: Context) => (ctx.cookies.secure ? '__Host-known-device' : 'known-device');

const tagOf = (nonce: string, userId: UserId) =>
  createHash('sha256').update(`${nonce}\u0000${userId}`).digest('base64url').slice(0, 16);

function readKnownDevice(ctx: Context): { nonce: string; tags: string[] } | null {
  const value = ctx.cookies.get(cookieName(ctx), { signed: true });
  if (!value || !/^[\w-]{22}(\.[\w-]{16}){0,8}$/.test(value)) return null;
  const [nonce = '', ...tags] = value.split('.');
  return { nonce, tags };
}

/** Whether this browser has signed in to the account before (it carries the account's tag). */
export function knowsAccount(ctx: Context, userId: UserId): boolean {
  const device = readKnownDevice(ctx);
  return device?.tags.includes(tagOf(device.nonce, userId)) === true;
}

/** Marks this browser as one that signed in to the account. */
export function rememberAccount(ctx: Context, userId: UserId): void {
  const device = readKnownDevice(ctx);
  const nonce = device?.nonce ?? randomBytes(16).toString('base64url');
  const tag = tagOf(nonce, userId);
  const tags = [tag, ...(device?.tags ?? []).filter((known) => known !== tag)].slice(0, MAX_ACCOUNTS);
  ctx.cookies.set(cookieName(ctx), [nonce, ...tags].join('.'), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.cookies.secure,
    maxAge: LIFETIME_MS,
    overwrite: true,
  });
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
