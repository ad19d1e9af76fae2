import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Context } from 'koa';
import { HttpError } from '../http-error.js';
import { addressKey } from './address.js';
import { type AttemptCounter, createMemoryRateLimitBackend, type RateLimitBackend } from './counters.js';
import { readDevice, trustDevice, trusts } from './device.js';
import { MAIL_BUDGETS, type MailFamily, RATE_LIMIT_RULES, type RuleName, slowDownDelay } from './policy.js';

/**
 * What the route tells the limiter once it knows: a `failure` (a wrong password; an email sent)
 * stays counted, `success` clears the identifier's failures, `not-counted` (the input was refused
 * before any work: a weak password, a bad field) gives every attempt back.
 */
export type Outcome = 'failure' | 'success' | 'not-counted';

/** One attempt taken from its budgets, waiting for the route's outcome. */
export type Attempt = { settle(outcome: Outcome): Promise<void> };

export interface Limiter {
  /** A password check against `identifier` (an email or username key; '' when none was typed). */
  passwordAttempt(ctx: Context, identifier: string): Promise<Attempt>;
  /** A request that sends mail to `email` (a key), on behalf of `account` when logged in. */
  mailAttempt(ctx: Context, family: MailFamily, keys: { email: string; account?: string }): Promise<Attempt>;
  /**
   * A proven owner (a password reset through the emailed link): their identifiers' failures are
   * forgotten and this browser is trusted for them, so the owner gets in at once.
   */
  clearAccount(ctx: Context, identifiers: readonly string[]): Promise<void>;
}

type Budget = { counter: AttemptCounter; key: string; points: number };

/** The 429: when to try again, and the way out that no attacker can block (a reset). */
export function throttled(retryAfter: number, offerReset: boolean): HttpError {
  const message = offerReset
    ? 'Too many attempts. Please wait before trying again, or reset your password.'
    : 'Too many attempts. Please wait before trying again.';
  return new HttpError(429, 'TOO_MANY_REQUESTS', message, { retryAfter });
}

export type LimiterOptions = {
  backend?: RateLimitBackend;
  /** How a slowed attempt waits; tests may record the delays instead. */
  sleep?: (ms: number) => Promise<void>;
};

/** The limiter both apps share, so a login through the pages and the API spends one budget. */
export function createLimiter(options: LimiterOptions = {}): Limiter {
  const backend = options.backend ?? createMemoryRateLimitBackend();
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms).then(() => undefined));
  const counters = new Map<RuleName, AttemptCounter>();
  const budget = (name: RuleName, key: string): Budget => {
    let counter = counters.get(name);
    if (!counter) {
      counter = backend(name, RATE_LIMIT_RULES[name]);
      counters.set(name, counter);
    }
    return { counter, key, points: RATE_LIMIT_RULES[name].points };
  };
  // Made up front so the seam sees every budget the policy has.
  for (const name of Object.keys(RATE_LIMIT_RULES) as RuleName[]) budget(name, '');

  /** Takes one attempt from every budget; if one is spent, gives the others back and throws 429. */
  const takeAll = async (budgets: Budget[], offerReset: boolean): Promise<number> => {
    let delay = 0;
    for (const [index, current] of budgets.entries()) {
      const taken = await current.counter.take(current.key);
      if (!taken.allowed) {
        await Promise.all(budgets.slice(0, index).map((earlier) => earlier.counter.giveBack(earlier.key)));
        throw throttled(taken.retryAfterSeconds, offerReset);
      }
      delay = Math.max(delay, slowDownDelay(taken.count, current.points));
    }
    return delay;
  };
  const giveBack = (budgets: Budget[]) => Promise.all(budgets.map((b) => b.counter.giveBack(b.key)));

  return {
    async passwordAttempt(ctx, identifier) {
      const address = addressKey(ctx.ip);
      const device = readDevice(ctx);
      const trusted = identifier !== '' && trusts(device, identifier);
      const own: Budget[] = trusted
        ? [budget('loginPerDevice', `${device!.nonce}|${identifier}`)]
        : identifier
          ? [
              budget('loginPerAccountAddress', `${identifier}|${address}`),
              budget('loginPerAccount', identifier),
            ]
          : [];
      // A trusted browser counts on its cookie alone: no attacker can spend that budget.
      const shared = trusted ? [] : [budget('loginPerAddress', address)];
      // Successes count here too, so an address cannot mint tokens without end.
      const volume = [budget('loginVolumePerAddress', address)];
      const delay = await takeAll([...own, ...shared, ...volume], true);
      if (delay > 0) await sleep(delay);
      return {
        async settle(outcome) {
          if (outcome === 'failure') return;
          await giveBack(shared);
          if (outcome === 'not-counted') {
            await giveBack([...own, ...volume]);
            return;
          }
          await Promise.all(own.map((b) => b.counter.clear(b.key)));
          if (identifier) trustDevice(ctx, device, identifier);
        },
      };
    },

    async mailAttempt(ctx, family, keys) {
      const names = MAIL_BUDGETS[family];
      const budgets = [budget(names.address, addressKey(ctx.ip))];
      if (keys.email) budgets.push(budget(names.email, keys.email));
      if (names.account && keys.account) budgets.push(budget(names.account, keys.account));
      await takeAll(budgets, false);
      return {
        async settle(outcome) {
          // Only work done counts: a refused form sent nothing and costs nothing.
          if (outcome === 'not-counted') await giveBack(budgets);
        },
      };
    },

    async clearAccount(ctx, identifiers) {
      const address = addressKey(ctx.ip);
      let device = readDevice(ctx);
      for (const identifier of identifiers.filter(Boolean)) {
        await budget('loginPerAccount', identifier).counter.clear(identifier);
        await budget('loginPerAccountAddress', '').counter.clear(`${identifier}|${address}`);
        device = trustDevice(ctx, device, identifier);
      }
    },
  };
}
