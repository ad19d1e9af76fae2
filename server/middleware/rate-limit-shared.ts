import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible';
import { StoreUnavailableError } from '../store/store.js';
import { type AttemptCounter, counterFrom, type RateLimitBackend } from './limits/counters.js';

/**
 * A counter whose store failed (the database gone away) answers StoreUnavailableError, so the
 * request is a 503 like any other store outage, never a 500 and never an unthrottled attempt.
 */
function unavailableOnFailure(counter: AttemptCounter, where: string): AttemptCounter {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        throw new StoreUnavailableError(`the shared rate limiter cannot reach ${where}`, { cause: error });
      }
    };
  return { take: guard(counter.take), giveBack: guard(counter.giveBack), clear: guard(counter.clear) };
}

/**
 * PostgreSQL's text refuses a NUL byte and its index refuses a key over ~2.7 kB, both of which a
 * hostile identifier can carry: counting under the key's SHA-256 keeps every key storable (and
 * keeps addresses out of the table). Equal keys still meet, so the count is the same.
 */
function hashedKeys(counter: AttemptCounter): AttemptCounter {
  const hash = (key: string) => createHash('sha256').update(key).digest('base64url');
  return {
    take: (key) => counter.take(hash(key)),
    giveBack: (key) => counter.giveBack(hash(key)),
    clear: (key) => counter.clear(hash(key)),
  };
}

/**
 * The table the PostgreSQL store's migrations create (server/store/postgres/migrations.ts), in the
 * shape rate-limiter-flexible expects; every counter shares it, its keys prefixed by the rule name.
 */
export const RATE_LIMIT_TABLE = 'rate_limits';

/**
 * Counters every instance shares, so 30 wrong passwords spread over three instances are 30, not
 * 10 each: rate-limiter-flexible's RateLimiterPostgres on the store's own pool (its upsert is one
 * atomic statement, so concurrent instances cannot both slip under a budget).
 *
 * `storeClient` is the PostgreSQL store's `pg.Pool`: typed loosely here so the web layer does not
 * import the driver.
 */
export function createPostgresRateLimitBackend(storeClient: object): RateLimitBackend {
  let sweeper = true;
  return (name, rule) => {
    const limiter: RateLimiterAbstract = new RateLimiterPostgres({
      storeClient,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      // Created by a migration, not at run time by each instance racing to CREATE TABLE.
      tableCreated: true,
      // Deleting expired rows is idempotent SQL; one counter per instance runs it, not every rule.
      clearExpiredByTimeout: sweeper,
      keyPrefix: name,
      points: rule.points,
      duration: rule.windowSeconds,
      blockDuration: rule.blockSeconds,
    });
    sweeper = false;
    return unavailableOnFailure(hashedKeys(counterFrom(limiter)), 'PostgreSQL');
  };
}

/**
 * The same counters in Redis (REDIS_URL), for deployments that already run it. rate-limiter-flexible
 * needs a client object; `redisClient` is an ioredis / node-redis client made by the caller.
 */
export function createRedisRateLimitBackend(redisClient: object): RateLimitBackend {
  return (name, rule) =>
    unavailableOnFailure(
      counterFrom(
        new RateLimiterRedis({
          storeClient: redisClient,
          keyPrefix: `kum:${name}`,
          points: rule.points,
          duration: rule.windowSeconds,
          blockDuration: rule.blockSeconds,
        }),
      ),
      'Redis',
    );
}
