import type { AuthDeps } from './auth/types.js';
import type { Deps } from './deps.js';

/**
 * The part of Deps the domain sees. A file of its own, so the admin CLI builds the domain's deps
 * without loading the web apps.
 */
export function authDepsOf(deps: Deps): AuthDeps {
  const { config } = deps;
  return {
    store: deps.store,
    hasher: deps.hasher,
    clock: deps.clock,
    events: deps.events,
    sealer: deps.sealer,
    settings: {
      appUrl: config.appUrl,
      emailVerificationRequired: config.emailVerificationRequired,
      accessTokenTtl: config.accessTokenTtl,
      maxAccessTokenTtl: config.maxAccessTokenTtl,
      resetTokenTtl: config.resetTokenTtl,
      verifyTokenTtl: config.verifyTokenTtl,
      bcryptRounds: config.bcryptRounds,
      passwordMinLength: config.passwordMinLength,
      securityLogDays: config.securityLogDays,
      securityLogMax: config.securityLogMax,
    },
  };
}
