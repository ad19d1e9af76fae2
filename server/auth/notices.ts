import type { NewMail, UserRecord } from '../store/store.js';
import type { ActivityEntry } from './activity.js';
import { commit } from './commit.js';
import { type ClientInfo, deviceName } from './devices.js';
import { newMail } from './outgoing-mail.js';
import type { AuthDeps } from './types.js';

/**
 * Issue 14's notification emails: the owner hears of a password change or reset, a sign-in from a
 * new browser and the account's deletion, each with when, from which address and on which device,
 * and what to do if it was not them. Their links lead to pages only (the reset form, the sessions
 * page, sign-up), never to anything that logs in: a notice forwarded or read over a shoulder
 * opens nothing.
 */

/** Where an action came from, as its activity entry records it (never the raw User-Agent). */
export function originOf(client: ClientInfo | undefined): Pick<ActivityEntry, 'ip' | 'device'> {
  const device = deviceName(client?.userAgent);
  return { ...(client?.ip ? { ip: client.ip } : {}), ...(device ? { device } : {}) };
}

/** "2026-12-02 01:30 UTC": a notice is read later and elsewhere, so the zone is spelled out. */
export function noticeTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function noticeParams(deps: AuthDeps, client: ClientInfo | undefined): Record<string, string> {
  const origin = originOf(client);
  return {
    at: noticeTime(deps.clock.now()),
    ...(origin.ip ? { ip: origin.ip } : {}),
    ...(origin.device ? { device: origin.device } : {}),
  };
}

function pageLink(deps: AuthDeps, path: string): string {
  return new URL(path, deps.settings.appUrl).href;
}

/** "Your password was changed": to the account's address, with the reset form as the way back. */
export function passwordChangedNotice(
  deps: AuthDeps,
  user: Pick<UserRecord, 'email'>,
  how: 'changed' | 'reset',
  client: ClientInfo | undefined,
): NewMail {
  const reset = new URL('/', deps.settings.appUrl);
  reset.searchParams.set('forgot', user.email);
  reset.hash = 'forgot-heading';
  return newMail(deps, 'password-changed', user.email, {
    link: reset.href,
    params: { ...noticeParams(deps, client), how },
  });
}

/** "A new sign-in": a browser without this account's device cookie got a session. */
export function newSignInNotice(
  deps: AuthDeps,
  user: Pick<UserRecord, 'email'>,
  client: ClientInfo | undefined,
): NewMail {
  return newMail(deps, 'new-sign-in', user.email, {
    link: pageLink(deps, '/account/sessions'),
    params: noticeParams(deps, client),
  });
}

/**
 * "Your account was deleted": the one email that outlives the account (queued with no user).
 * `by: 'operator'` (the admin CLI): no address or device of the owner to show, and the email must
 * not tell them someone knew their password.
 */
export function accountDeletedNotice(
  deps: AuthDeps,
  user: Pick<UserRecord, 'email'>,
  client: ClientInfo | undefined,
  by: 'owner' | 'operator' = 'owner',
): NewMail {
  return newMail(deps, 'account-deleted', user.email, {
    link: pageLink(deps, '/'),
    params: { ...noticeParams(deps, client), ...(by === 'operator' ? { by } : {}) },
  });
}

/**
 * Queues "a new sign-in" for a session just issued to a browser that had not signed in to this
 * account before (the web layer knows by its device cookie). Durable before the response, sent
 * after it, so the sign-in's answer and time never depend on the mail server.
 */
export async function notifyNewSignIn(
  deps: AuthDeps,
  user: Pick<UserRecord, 'id' | 'email'>,
  client: ClientInfo | undefined,
): Promise<void> {
  const mail = [{ ...newSignInNotice(deps, user, client), userId: user.id }];
  await commit(deps, () => deps.store.enqueueMail(mail), { mail });
}
