import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

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
