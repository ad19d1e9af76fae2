import type { Middleware } from 'koa';
import { authOf, findTokenInRequest } from '../middleware/access-token.js';
import { FLASH, setFlash } from '../middleware/flash.js';
import { forgetPageSessionToken } from '../middleware/page-session.js';

/**
 * A browser whose session cookie holds a token that no longer resolves (logged out everywhere,
 * password changed or reset on another device, expired) is told so once, on the next page, instead
 * of silently appearing logged out. Mounted after resolveAccessToken (and after the CSRF check, so
 * the secret it keeps is the one the form was checked against).
 */
export function noticeEndedSession(): Middleware {
  return async function noticeEndedSession(ctx, next) {
    // Only the session's own token: a header token that fails says nothing about the cookie.
    if (findTokenInRequest(ctx)?.transport === 'session' && !authOf(ctx)) {
      forgetPageSessionToken(ctx);
      setFlash(ctx, FLASH.sessionEnded);
    }
    await next();
  };
}
