import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';

/**
 * A signed, year-long cookie naming the accounts a browser has signed in to, each as a salted hash
 * (so the cookie lists no email or id). Two features keep one each under their own name — the
 * limiter's device budget and the new-sign-in notice — because each writes its cookie on its own
 * schedule, and one shared value would let either overwrite the other. A forged, unsigned or
 * malformed cookie reads as none.
 */

/** What the cookie holds: the browser's random nonce and, newest first, its account tags. */
export type AccountTags = { nonce: string; tags: string[] };

/** A shared computer remembers a few accounts, newest first. */
const MAX_ACCOUNTS = 8;
const LIFETIME_MS = 365 * 24 * 3600 * 1000;

const tagOf = (nonce: string, account: string): string =>
  createHash('sha256').update(`${nonce}\u0000${account}`).digest('base64url').slice(0, 16);

export type AccountTagsCookie = {
  read(ctx: Context): AccountTags | null;
  /** Whether this browser's cookie names `account`. */
  names(cookie: AccountTags | null, account: string): cookie is AccountTags;
  /** Puts `account` first in the cookie (creating it), and returns what it now holds. */
  add(ctx: Context, cookie: AccountTags | null, account: string): AccountTags;
};

/** The cookie called `name` (`__Host-name` on https). */
export function accountTagsCookie(name: string): AccountTagsCookie {
  const cookieName = (ctx: Context) => (ctx.cookies.secure ? `__Host-${name}` : name);
  return {
    read(ctx) {
      const value = ctx.cookies.get(cookieName(ctx), { signed: true });
      if (!value || !/^[\w-]{22}(\.[\w-]{16}){0,8}$/.test(value)) return null;
      const [nonce = '', ...tags] = value.split('.');
      return { nonce, tags };
    },
    names(cookie, account): cookie is AccountTags {
      return cookie?.tags.includes(tagOf(cookie.nonce, account)) === true;
    },
    add(ctx, cookie, account) {
      const nonce = cookie?.nonce ?? randomBytes(16).toString('base64url');
      const tag = tagOf(nonce, account);
      const tags = [tag, ...(cookie?.tags ?? []).filter((known) => known !== tag)].slice(0, MAX_ACCOUNTS);
      ctx.cookies.set(cookieName(ctx), [nonce, ...tags].join('.'), {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        secure: ctx.cookies.secure,
        maxAge: LIFETIME_MS,
        overwrite: true,
      });
      return { nonce, tags };
    },
  };
}
