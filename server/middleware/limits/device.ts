import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';

/**
 * Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a browser that
 * has logged in to an account carries a cookie, signed with SESSION_KEYS as Koa signs cookies,
 * naming the accounts it logged in to (as salted hashes, so the cookie does not list emails). Its
 * guesses count on its own budget, so an attacker elsewhere can exhaust every other budget of the
 * account and the owner's browser still gets in.
 */

const MAX_ACCOUNTS = 8;
const LIFETIME_MS = 365 * 24 * 3600 * 1000;

export type Device = { nonce: string; tags: string[] };

const cookieName = (ctx: Context) => (ctx.cookies.secure ? '__Host-device' : 'device');

function tagOf(nonce: string, account: string): string {
  return createHash('sha256').update(`${nonce}\u0000${account}`).digest('base64url').slice(0, 16);
}

/** The signed device cookie of this browser, or null (unsigned or tampered ones are ignored). */
export function readDevice(ctx: Context): Device | null {
  const value = ctx.cookies.get(cookieName(ctx), { signed: true });
  if (!value || !/^[\w-]{22}(\.[\w-]{16}){0,8}$/.test(value)) return null;
  const [nonce = '', ...tags] = value.split('.');
  return { nonce, tags };
}

/** Whether this device has logged in to `account` before. */
export function trusts(device: Device | null, account: string): device is Device {
  return device?.tags.includes(tagOf(device.nonce, account)) === true;
}

/** Marks this browser as one that logged in to `account` (newest first, a few accounts kept). */
export function trustDevice(ctx: Context, device: Device | null, account: string): Device {
  const nonce = device?.nonce ?? randomBytes(16).toString('base64url');
  const tag = tagOf(nonce, account);
  const tags = [tag, ...(device?.tags ?? []).filter((known) => known !== tag)].slice(0, MAX_ACCOUNTS);
  ctx.cookies.set(cookieName(ctx), [nonce, ...tags].join('.'), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.cookies.secure,
    maxAge: LIFETIME_MS,
    overwrite: true,
  });
  return { nonce, tags };
}
