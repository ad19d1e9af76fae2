import type { Context } from 'koa';
import { type AccountTags, accountTagsCookie } from '../account-tags-cookie.js';

/**
 * Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a browser that
 * has logged in to an account carries a cookie, signed with SESSION_KEYS as Koa signs cookies,
 * naming the accounts it logged in to (as salted hashes, so the cookie does not list emails). Its
 * guesses count on its own budget, so an attacker elsewhere can exhaust every other budget of the
 * account and the owner's browser still gets in.
 */

export type Device = AccountTags;

const deviceCookie = accountTagsCookie('device');

/** The signed device cookie of this browser, or null (unsigned or tampered ones are ignored). */
export function readDevice(ctx: Context): Device | null {
  return deviceCookie.read(ctx);
}

/** Whether this device has logged in to `account` before. */
export function trusts(device: Device | null, account: string): device is Device {
  return deviceCookie.names(device, account);
}

/** Marks this browser as one that logged in to `account` (newest first, a few accounts kept). */
export function trustDevice(ctx: Context, device: Device | null, account: string): Device {
  return deviceCookie.add(ctx, device, account);
}
