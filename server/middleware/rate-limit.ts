/** The limiter's parts, under one name for their callers (app.ts, the API's endpoints, tests). */
export { addressKey, withoutPort } from './limits/address.js';
export {
  type AttemptCounter,
  counterFrom,
  createMemoryRateLimitBackend,
  type RateLimitBackend,
  type Rule,
  type Taken,
} from './limits/counters.js';
export { identifierKey, mailKey } from './limits/keys.js';
export { type Attempt, createLimiter, type Limiter, type Outcome, throttled } from './limits/limiter.js';
export { clearLoginFailures, reportAttempt, throttlePages } from './limits/pages.js';
export { type MailFamily, RATE_LIMIT_RULES, SLOW_DOWN_STEP_MS, slowDownDelay } from './limits/policy.js';
