import type { Context, Middleware } from 'koa';

/**
 * One message after an action ("You are logged out"), carried across the 303 in the signed page
 * session and shown once, by the next page that renders (layout.ejs, role="status"). A redirect
 * in between keeps it: it is taken only when a view is rendered, never by a redirect.
 */

/** The messages the pages set; other features may pass their own sentence. */
export const FLASH = {
  loggedOut: 'You are logged out.',
  loggedOutEverywhere: 'You are logged out on every device.',
  passwordChanged: 'Password changed. Other sessions have been logged out.',
  logInToContinue: 'Log in to continue.',
  sessionEnded: 'Your session ended elsewhere (logged out or password changed). Log in again.',
  emailVerified: 'Your email address is verified.',
  alreadyVerified: 'This email address is already verified. You can log in.',
  outboxCleared: 'The outbox is empty now.',
} as const;

const FLASH_KEY = 'flash';

/**
 * Keeps `message` for the next rendered page. Call it after startPageSession / endPageSession
 * (both replace the session): on a logged-out browser it starts a cookie holding only the message.
 */
export function setFlash(ctx: Context, message: string): void {
  if (ctx.session) ctx.session[FLASH_KEY] = message;
  else ctx.session = { [FLASH_KEY]: message } as unknown as NonNullable<Context['session']>;
}

/** The waiting message, removed from the session (shown once), or null. */
export function takeFlash(ctx: Context): string | null {
  const session = ctx.session;
  const message = session?.[FLASH_KEY];
  if (!session || message === undefined) return null;
  delete session[FLASH_KEY];
  return typeof message === 'string' && message ? message : null;
}

/** Takes the waiting message only when it is `message` (a page that exists to say it); else leaves it. */
export function takeFlashIf(ctx: Context, message: string): boolean {
  if (ctx.session?.[FLASH_KEY] !== message) return false;
  takeFlash(ctx);
  return true;
}

/**
 * Mount after the view renderer and the session: every `ctx.render` takes the message into
 * `ctx.state.flash`, which layout.ejs prints once.
 */
export function showFlash(): Middleware {
  return async function showFlash(ctx, next) {
    const render = ctx.render.bind(ctx);
    ctx.render = async (view: string, locals?: Record<string, unknown>) => {
      const message = takeFlash(ctx);
      if (message) ctx.state.flash = message;
      return render(view, locals);
    };
    await next();
  };
}
