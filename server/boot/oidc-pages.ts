import type { Context } from 'koa';
import type { OidcFailureCode } from '../deps.js';
import { noStore, renderRefusal } from './render.js';

/**
 * The pages a provider log-in ends on when it cannot go on: one per failure, each with a status,
 * a plain sentence and the way back. Never a 500: a provider's bad answer is the provider's, and
 * the person only needs to know what to do next.
 */

export type OidcPageFailure =
  | OidcFailureCode
  | 'OIDC_UNKNOWN_PROVIDER'
  | 'OIDC_NO_FLOW'
  | 'OIDC_NOT_LOGGED_IN'
  | 'IDENTITY_EMAIL_UNVERIFIED'
  | 'IDENTITY_TAKEN'
  | 'LOGIN_FAILED'
  | 'LOGIN_FAILED_EMAIL_NOT_VERIFIED'
  | 'LINK_EXPIRED';

type Words = { status: number; heading: string; message: (name: string) => string };

const failures: Record<OidcPageFailure, Words> = {
  OIDC_UNKNOWN_PROVIDER: {
    status: 404,
    heading: 'Unknown provider',
    message: () => 'This site does not offer a log-in with that provider.',
  },
  OIDC_PROVIDER_UNAVAILABLE: {
    status: 503,
    heading: 'Provider not answering',
    message: (name) =>
      `${name} is not answering right now. Try again in a minute, or log in with your password.`,
  },
  OIDC_NO_FLOW: {
    status: 400,
    heading: 'Log-in not started here',
    message: (name) =>
      `This browser has no log-in with ${name} under way: it was finished already, or started in another browser. Start again.`,
  },
  OIDC_FLOW_EXPIRED: {
    status: 400,
    heading: 'Log-in expired',
    message: (name) => `The log-in with ${name} took too long. Start again.`,
  },
  OIDC_WRONG_PROVIDER: {
    status: 400,
    heading: 'Log-in not started here',
    message: (name) => `This browser did not start a log-in with ${name}. Start again.`,
  },
  OIDC_STATE_MISMATCH: {
    status: 400,
    heading: 'Log-in not started here',
    message: (name) =>
      `The answer from ${name} does not belong to the log-in this browser started, so it was ignored. Start again.`,
  },
  OIDC_ISSUER_MISMATCH: {
    status: 400,
    heading: 'Answer from the wrong provider',
    message: (name) => `The answer did not come from ${name}, so it was ignored. Start again.`,
  },
  OIDC_ACCESS_DENIED: {
    status: 403,
    heading: 'Log-in cancelled',
    message: (name) => `You did not allow ${name} to log you in here. Nothing was changed.`,
  },
  OIDC_PROVIDER_ERROR: {
    status: 400,
    heading: 'The provider refused',
    message: (name) => `${name} could not log you in. Try again, or log in with your password.`,
  },
  OIDC_CODE_REJECTED: {
    status: 400,
    heading: 'Log-in link used up',
    message: (name) =>
      `${name} no longer accepts this answer (it was used already, or it expired). Start again.`,
  },
  OIDC_INVALID_RESPONSE: {
    status: 400,
    heading: 'The provider’s answer was refused',
    message: (name) => `The answer from ${name} could not be verified, so it was ignored. Start again.`,
  },
  OIDC_NOT_LOGGED_IN: {
    status: 403,
    heading: 'Log in first',
    message: (name) =>
      `Connecting ${name} needs the account that started it to be logged in. Log in and connect it again.`,
  },
  IDENTITY_EMAIL_UNVERIFIED: {
    status: 403,
    heading: 'No verified email address',
    message: (name) =>
      `${name} did not confirm an email address for your account there, so we cannot find or make your account by it. Log in (or sign up) with a password, then connect ${name} from your account’s connections page.`,
  },
  IDENTITY_TAKEN: {
    status: 409,
    heading: 'Connected to another account',
    message: (name) =>
      `That ${name} account is connected to another account here already. Disconnect it there first.`,
  },
  LOGIN_FAILED: {
    status: 403,
    heading: 'Log-in refused',
    message: () => 'This account cannot log in.',
  },
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: {
    status: 403,
    heading: 'Email not verified',
    message: () =>
      'This account’s email address is not verified yet. Follow the link in the email we sent, or log in with your password to get a new one.',
  },
  LINK_EXPIRED: {
    status: 400,
    heading: 'Connection request expired',
    message: () =>
      'This request to connect a provider expired, or is for another account. Start the log-in with the provider again.',
  },
};

/** Renders the failure page; `back` is where "start again" leads (the index, or the connections page). */
export async function renderOidcFailure(
  ctx: Context,
  code: OidcPageFailure,
  providerName: string,
  back: { href: string; text: string } = { href: '/', text: 'Back to log in' },
): Promise<void> {
  const words = failures[code];
  noStore(ctx);
  await renderRefusal(ctx, words.status, {
    heading: words.heading,
    message: words.message(providerName),
    link: back,
  });
}
