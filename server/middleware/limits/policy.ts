import type { Rule } from './counters.js';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/**
 * The policy (OWASP Authentication Cheat Sheet; ASVS V2.2.1: at most 100 failed guesses an hour
 * per account). Password guesses are counted per identifier as typed (an email or a username,
 * each case-blind: counting a username on its email's budget would tell, by a 429, which email a
 * username belongs to), so one account's two identifiers together allow 2 × 12 per 15 minutes ≤ 100
 * an hour from untrusted clients, however many addresses they use. Each (identifier, address) pair
 * has its own smaller budget, and each address one over all accounts (credential stuffing). A
 * browser that logged in to the account before (a signed device cookie) counts on that cookie
 * alone, so an attack from elsewhere never locks its owner out.
 *
 * Requests that send an email are limited per address, per target email and per account, so
 * nobody can flood a mailbox or the queue; the per-email reset budget refills in minutes, so
 * someone else's requests cannot keep the owner from a reset for long.
 */
export const RATE_LIMIT_RULES = {
  loginPerAccount: { points: 12, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  loginPerAccountAddress: { points: 10, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  loginPerDevice: { points: 10, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  loginPerAddress: { points: 50, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  // Every password check from one address, successes too (issue 10.7: successful logins were never
  // limited): far above what a person, or an office behind one NAT, needs.
  loginVolumePerAddress: { points: 600, windowSeconds: HOUR, blockSeconds: 15 * MINUTE },
  signupPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  signupPerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
  resendPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  resendPerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
  resetPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  resetPerEmail: { points: 3, windowSeconds: 10 * MINUTE, blockSeconds: 10 * MINUTE },
  emailChangePerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  emailChangePerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
  emailChangePerAccount: { points: 5, windowSeconds: HOUR, blockSeconds: HOUR },
} as const satisfies Record<string, Rule>;

export type RuleName = keyof typeof RATE_LIMIT_RULES;

/** The routes that send mail, each with its three budgets. */
export const MAIL_BUDGETS = {
  signup: { address: 'signupPerAddress', email: 'signupPerEmail', account: null },
  resend: { address: 'resendPerAddress', email: 'resendPerEmail', account: null },
  reset: { address: 'resetPerAddress', email: 'resetPerEmail', account: null },
  'email-change': {
    address: 'emailChangePerAddress',
    email: 'emailChangePerEmail',
    account: 'emailChangePerAccount',
  },
} as const satisfies Record<string, { address: RuleName; email: RuleName; account: RuleName | null }>;

export type MailFamily = keyof typeof MAIL_BUDGETS;

/** Attempts at the end of a budget are slowed before being refused: the last four wait 0.2–0.8 s. */
export const SLOW_DOWN_STEP_MS = 200;
const SLOWED_ATTEMPTS = 4;

/** The delay before attempt number `count` of a budget of `points` (0 until the last few). */
export function slowDownDelay(count: number, points: number): number {
  return SLOW_DOWN_STEP_MS * Math.max(0, count - (points - SLOWED_ATTEMPTS));
}
