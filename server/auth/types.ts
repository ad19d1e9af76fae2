import type { EventEmitter } from 'node:events';
import type { Store, TokenRecord, UserId, UserRecord } from '../store/store.js';
import type { PasswordHasher } from './password-hasher.js';
import type { LinkSealer } from './sealed-links.js';

/** Time comes from here, never from `new Date()` inside a rule, so tests can move it. */
export interface Clock {
  now(): Date;
}

/** The part of the configuration the rules need. */
export type AuthSettings = Readonly<{
  appUrl: string;
  emailVerificationRequired: boolean;
  accessTokenTtl: number;
  maxAccessTokenTtl: number;
  resetTokenTtl: number;
  verifyTokenTtl: number;
  bcryptRounds: number;
  passwordMinLength: number;
  /**
   * The shortest time (ms) resend-verification and password-reset requests take, whether or not the
   * account exists or needs mail: a constant-time floor by design, so neither the store's write
   * cost nor its absence tells who has an account. Default 50.
   */
  answerFloorMs?: number;
  /** The most live access tokens one account keeps; the oldest go first. Default 100. */
  maxAccessTokens?: number;
  /** Days the security activity log keeps an entry (issue 14, SECURITY_LOG_DAYS). Default 90. */
  securityLogDays?: number;
  /** The most activity entries one account keeps; the oldest go first. Default 1000. */
  securityLogMax?: number;
}>;

/**
 * Events, as LoopBack's User model emits them: mail listens to `mailQueued` rather than the rules
 * calling a mailer, and anyone may listen to `resetPasswordRequest` (it carries no secret).
 */
export type AuthEventMap = {
  mailQueued: [];
  resetPasswordRequest: [{ userId: UserId; email: string }];
  /**
   * Issue 14: an account was deleted. Its activity log went with it, so this is where the event's
   * method, address and device outlive it (server.ts writes it to the operator's log).
   */
  accountDeleted: [{ userId: UserId; method: string; ip?: string; device?: string }];
};
export type AuthEvents = EventEmitter<AuthEventMap>;

/** What every domain function receives. */
export type AuthDeps = Readonly<{
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  settings: AuthSettings;
  events: AuthEvents;
  /** Seals emailed links while they wait in the store. */
  sealer: LinkSealer;
}>;

/** A sign-up as typed: the domain trims and canonicalises it. */
export type SignUpInput = { email: string; username?: string | null; password: string };

/**
 * What sign-up does when the email or username is taken: the API keeps LoopBack's 422; the HTML
 * form must not reveal it, so it answers as usual and emails the owner instead.
 */
export type TakenPolicy = 'reject' | 'notify-owner';

/** Credentials: an email or a username, and `ttl` (seconds) capped at MAX_ACCESS_TOKEN_TTL. */
export type LoginInput = {
  email?: string;
  username?: string;
  password: string;
  ttl?: number;
  /** Issue 14: where the sign-in came from (recorded on the token and in the activity log). */
  client?: import('./devices.js').ClientInfo;
};

/** A new session: `secret` goes to its holder once; the store keeps only `token.hash`. */
export type LoginResult = { secret: string; token: TokenRecord; user: UserRecord };

/** A request's proven identity: the user and the token that proved it. */
export type Authenticated = { user: UserRecord; token: TokenRecord };

/**
 * A profile change. A new `email` needs re-authentication (`currentPassword`, or a token issued in
 * the last 10 minutes) and stays pending until the link sent to it is followed.
 */
export type ProfileChanges = { email?: string; username?: string | null; currentPassword?: string };

/** Proof for a sensitive change (email change, account deletion). */
export type Reauthentication = { currentPassword?: string };
