import type { Context } from 'koa';
import * as z from 'zod';
import { PENDING_LINK_SECONDS } from '../auth/identities.js';
import type { OidcFlow } from '../deps.js';

/**
 * What the provider log-in keeps in this browser between requests:
 *  - the flow (state, nonce, PKCE verifier) in the signed page session, from `GET /auth/:id` to its
 *    callback, taken out before the callback is checked so a replayed callback finds none;
 *  - a pending "log in, then connect" in a cookie of its own (signed, HttpOnly, ten minutes), since
 *    logging in starts a fresh page session (session fixation) and would drop it.
 */

const flowSchema = z.object({
  provider: z.string(),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  createdAt: z.number(),
  /** `login` from the index page; `link` from the connections page, for `userId` only. */
  mode: z.enum(['login', 'link']),
  next: z.string(),
  userId: z.number().int().optional(),
});
export type HeldFlow = z.infer<typeof flowSchema>;

export function holdFlow(
  ctx: Context,
  flow: OidcFlow,
  extra: { mode: 'login' | 'link'; next: string; userId?: number },
): void {
  if (ctx.session) ctx.session.oidcFlow = { ...flow, ...extra } satisfies HeldFlow;
}

/** The flow this browser started, removed from the session: it is good for one callback only. */
export function takeFlow(ctx: Context): HeldFlow | null {
  const parsed = flowSchema.safeParse(ctx.session?.oidcFlow);
  if (ctx.session) delete ctx.session.oidcFlow;
  return parsed.success ? parsed.data : null;
}

// `__Host-` on https, as the session cookie: no subdomain can set or shadow it.
const pendingCookie = (secure: boolean) => (secure ? '__Host-oidc-link' : 'oidc-link');

export function holdPendingLink(ctx: Context, ticket: string, secure: boolean): void {
  ctx.cookies.set(pendingCookie(secure), ticket, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: PENDING_LINK_SECONDS * 1000,
    overwrite: true,
  });
}

export function pendingLinkTicket(ctx: Context, secure: boolean): string | null {
  const value = ctx.cookies.get(pendingCookie(secure), { signed: true });
  return value ? value : null;
}

export function dropPendingLink(ctx: Context, secure: boolean): void {
  ctx.cookies.set(pendingCookie(secure), null, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    overwrite: true,
  });
}

/** Where a request comes from, for the token and the activity log (never the raw header there). */
export function clientOf(ctx: Context): { ip: string; userAgent: string; session: 'browser' } {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), session: 'browser' };
}
