import { isIPv6 } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Context, Middleware } from 'koa';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AuthError, tooManyRequests } from '../auth/errors.js';
import { normaliseKey, type Store } from '../store/store.js';
import { authOf } from './access-token.js';

/** How many attempts a key may spend in a window, and how long it is refused once it is over. */
export type Rule = Readonly<{ points: number; windowSeconds: number; blockSeconds: number }>;

/** The outcome of taking one attempt from a key's budget. */
export type Taken = { allowed: true; count: number } | { allowed: false; retryAfterSeconds: number };

/**
 * One budget per key (an IP, an account, an email). This is the seam for a shared store: the
 * in-memory one below serves one process; with several instances, a Redis or PostgreSQL counter
 * (rate-limiter-flexible's RateLimiterRedis / RateLimiterPostgres behind `counterFrom`) replaces it.
 */
export interface AttemptCounter {
  /** Spends one attempt, before the work is done, so parallel requests cannot all slip through. */
  take(key: string): Promise<Taken>;
  /** Returns an attempt that turned out not to count (a success, a bad form). */
  giveBack(key: string): Promise<void>;
  /** Forgets the key (a successful login clears its account's failures). */
  clear(key: string): Promise<void>;
}

/** Makes the counters; one per (name, rule). */
export type RateLimitBackend = (name: string, rule: Rule) => AttemptCounter;

/** Adapts any rate-limiter-flexible limiter (memory, Redis, PostgreSQL …) to AttemptCounter. */
export function counterFrom(limiter: RateLimiterAbstract): AttemptCounter {
  return {
    async take(key) {
      try {
        const result = await limiter.consume(key);
        return { allowed: true, count: result.consumedPoints };
      } catch (refusal) {
        // The library rejects with its result when the budget is spent, with an Error when its store fails.
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) };
      }
    },
    async giveBack(key) {
      await limiter.reward(key, 1);
    },
    async clear(key) {
      await limiter.delete(key);
    },
  };
}

/** One process's counters in memory (rate-limiter-flexible's RateLimiterMemory; real time). */
export function createMemoryRateLimitBackend(): RateLimitBackend {
  return (name, rule) =>
    counterFrom(
      new RateLimiterMemory({
        keyPrefix: name,
        points: rule.points,
        duration: rule.windowSeconds,
        blockDuration: rule.blockSeconds,
      }),
    );
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/**
 * The policy. Password guesses: ASVS V2.2.1 allows at most 100 failures per hour per account; we
 * allow 10 per 15 minutes per account and 50 per 15 minutes per client address (credential
 * stuffing spreads over accounts, so the address needs its own ceiling). Requests that send an
 * email are limited per address and per target email, so nobody can flood a mailbox or our SMTP quota.
 */
export const RATE_LIMIT_RULES = {
  loginPerAccount: { points: 10, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  loginPerAddress: { points: 50, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE },
  signupPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  signupPerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
  resendPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  resendPerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
  resetPerAddress: { points: 20, windowSeconds: HOUR, blockSeconds: HOUR },
  resetPerEmail: { points: 3, windowSeconds: HOUR, blockSeconds: HOUR },
} as const satisfies Record<string, Rule>;

/** Attempts at the end of a budget are slowed before being refused: the last four wait 0.2–0.8 s. */
export const SLOW_DOWN_STEP_MS = 200;
const SLOWED_ATTEMPTS = 4;

/** The delay before attempt number `count` of a budget of `points` (0 until the last few). */
export function slowDownDelay(count: number, points: number): number {
  return SLOW_DOWN_STEP_MS * Math.max(0, count - (points - SLOWED_ATTEMPTS));
}

/**
 * The client's address as a throttling key. IPv6 clients usually hold a whole /64, so they are
 * counted per /64; IPv4-mapped addresses count as IPv4. `ctx.ip` believes X-Forwarded-For only
 * when TRUST_PROXY is set (Koa's `proxy` option).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip.slice(0, 64) || 'unknown';
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}

type Family = 'login' | 'password-check' | 'signup' | 'resend' | 'reset';

// Matched the way @koa/router matches (case-insensitive, trailing slash optional), so `/LOGIN/`
// cannot reach the login route while slipping past the limiter.
const ROUTES: Record<string, Family> = {
  '/login': 'login',
  '/api/users/login': 'login',
  '/change-password': 'password-check',
  '/api/users/change-password': 'password-check',
  '/signup': 'signup',
  '/api/users': 'signup',
  '/resend-verification': 'resend',
  '/request-password-reset': 'reset',
  '/api/users/reset': 'reset',
};

function familyOf(ctx: Context): Family | null {
  if (ctx.method !== 'POST') return null;
  const path = ctx.path.toLowerCase().replace(/\/+$/, '') || '/';
  return ROUTES[path] ?? null;
}

function field(ctx: Context, name: string): string {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? normaliseKey(value.trim()).slice(0, 320) : '';
}

/**
 * The account a login names, case-blind (the store's own key). A username is turned into its
 * account's email, so typing the email and the username in turn does not double the guesses; a
 * name nobody holds is counted as typed, exactly like a real one.
 */
async function accountOf(ctx: Context, family: Family, users: AccountLookup | undefined): Promise<string> {
  if (family === 'password-check') {
    const user = authOf(ctx)?.user;
    return user ? normaliseKey(user.email) : '';
  }
  const typed = field(ctx, 'email') || field(ctx, 'username');
  if (!typed || typed.includes('@') || !users) return typed;
  const owner = await users.findUserByUsername(typed);
  return owner ? normaliseKey(owner.email) : typed;
}

/** The status the request ended with, whether a route set it or an error carries it. */
function statusOf(ctx: Context, thrown: unknown): number {
  if (thrown === undefined) return ctx.status;
  if (thrown instanceof AuthError) return thrown.status;
  const status = (thrown as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : 500;
}

type Budget = { counter: AttemptCounter; key: string };

/** Takes one attempt from every budget; if one is spent, gives the others back and throws 429. */
async function takeAll(budgets: Budget[]): Promise<number[]> {
  const counts: number[] = [];
  for (const [index, budget] of budgets.entries()) {
    const taken = await budget.counter.take(budget.key);
    if (!taken.allowed) {
      await Promise.all(budgets.slice(0, index).map((earlier) => earlier.counter.giveBack(earlier.key)));
      throw tooManyRequests(taken.retryAfterSeconds);
    }
    counts.push(taken.count);
  }
  return counts;
}

/** What the limiter reads from the store: only who holds a username. */
export type AccountLookup = Pick<Store, 'findUserByUsername'>;

export type ThrottleOptions = {
  backend?: RateLimitBackend;
  /** Resolves usernames to their account, so both names share one budget. */
  users?: AccountLookup;
  /** How a slowed attempt waits; tests may record the delays instead. */
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Throttles the routes an attacker would hammer, by what the request names and how it ended:
 * - login (pages and API) and change-password: every attempt is counted up front per account and
 *   per address; the last few of a budget are slowed, then 429 with Retry-After. The attempt is
 *   given back unless it failed (401, or 400 for a wrong current password); a success clears the
 *   account's count.
 * - sign-up, resend-verification and reset requests: per address and per target email; the email's
 *   attempt is given back when nothing was sent (a 4xx), so a typo does not lock the form.
 * Unknown and known accounts are counted alike, so a 429 tells nothing about which exist.
 */
export function throttleAuth(options: ThrottleOptions = {}): Middleware {
  const backend = options.backend ?? createMemoryRateLimitBackend();
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms).then(() => undefined));
  const counter = (name: keyof typeof RATE_LIMIT_RULES) => backend(name, RATE_LIMIT_RULES[name]);
  const perAccount = counter('loginPerAccount');
  const perAddress = counter('loginPerAddress');
  const mailBudgets = {
    signup: { address: counter('signupPerAddress'), email: counter('signupPerEmail') },
    resend: { address: counter('resendPerAddress'), email: counter('resendPerEmail') },
    reset: { address: counter('resetPerAddress'), email: counter('resetPerEmail') },
  };

  const guardPasswordCheck = async (ctx: Context, family: Family, next: () => Promise<unknown>) => {
    const account = await accountOf(ctx, family, options.users);
    const address = addressKey(ctx.ip);
    const budgets: Budget[] = [{ counter: perAddress, key: address }];
    if (account) budgets.unshift({ counter: perAccount, key: account });
    const counts = await takeAll(budgets);
    const rules = account
      ? [RATE_LIMIT_RULES.loginPerAccount, RATE_LIMIT_RULES.loginPerAddress]
      : [RATE_LIMIT_RULES.loginPerAddress];
    const delay = Math.max(...counts.map((count, index) => slowDownDelay(count, rules[index]!.points)));
    if (delay > 0) await sleep(delay);

    let thrown: unknown;
    try {
      await next();
    } catch (error) {
      thrown = error;
    }
    const status = statusOf(ctx, thrown);
    const failed = family === 'login' ? status === 401 : status === 400 || status === 401;
    if (!failed) {
      await Promise.all(
        budgets.map((budget) =>
          budget.counter === perAccount && status < 400
            ? budget.counter.clear(budget.key)
            : budget.counter.giveBack(budget.key),
        ),
      );
    }
    if (thrown !== undefined) throw thrown;
  };

  const guardMail = async (
    ctx: Context,
    family: 'signup' | 'resend' | 'reset',
    next: () => Promise<unknown>,
  ) => {
    const limits = mailBudgets[family];
    const email = field(ctx, 'email');
    const budgets: Budget[] = [{ counter: limits.address, key: addressKey(ctx.ip) }];
    if (email) budgets.push({ counter: limits.email, key: email });
    await takeAll(budgets);
    let thrown: unknown;
    try {
      await next();
    } catch (error) {
      thrown = error;
    }
    if (email && statusOf(ctx, thrown) >= 400) await limits.email.giveBack(email);
    if (thrown !== undefined) throw thrown;
  };

  return async function throttleAuth(ctx, next) {
    const family = familyOf(ctx);
    if (!family) return next();
    if (family === 'login' || family === 'password-check') return guardPasswordCheck(ctx, family, next);
    return guardMail(ctx, family, next);
  };
}
