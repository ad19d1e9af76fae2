import type { Logger } from 'pino';
import type { PasswordHasher } from './auth/password-hasher.js';
import type { LinkSealer } from './auth/sealed-links.js';
import type { AuthEvents, Clock } from './auth/types.js';
import type { Config } from './config.js';
import type { DatabaseProbe } from './health.js';
import type { Mailer, Outbox } from './mail/mailer.js';
import type { Limiter } from './middleware/rate-limit.js';
import type { OidcProviders } from './oidc/providers.js';

// The web layer names the provider log-in's types through here (it imports nothing of oidc/).
export type { OidcFailureCode, OidcFlow, OidcProviders } from './oidc/providers.js';

import type { Store } from './store/store.js';

/**
 * Everything the app needs, chosen once in server.ts (or a test) and passed down: no module
 * singletons, so a test can start several apps side by side on their own files and clocks.
 */
export type Deps = Readonly<{
  config: Config & { appUrl: string };
  store: Store;
  hasher: PasswordHasher;
  sealer: LinkSealer;
  mailer: Mailer;
  clock: Clock;
  log: Logger;
  events: AuthEvents;
  /** Whether the database answers (/healthz); absent = the embedded store, which always does. */
  databaseAnswers?: DatabaseProbe;
  /** The development outbox's listing; absent in production and whenever SMTP_URL is set. */
  outbox?: Outbox;
  /**
   * The throttles both apps share (app.ts makes one in memory when absent; a shared store's
   * limiter for several instances is chosen here). Absent with RATE_LIMITS=off.
   */
  limiter?: Limiter;
  /** Issue 16: the OpenID Connect providers of OIDC_PROVIDERS; absent when none are configured. */
  oidc?: OidcProviders;
}>;
