import type { OidcProviderEntry } from '../config.js';
import {
  callbackUrl,
  createRelyingParty,
  type OidcClock,
  type OidcFailureCode,
  type OidcFlow,
  type OidcIdentity,
  OidcLoginError,
  type RelyingParty,
} from './relying-party.js';

/**
 * Every configured provider (OIDC_PROVIDERS), built once by server.ts and handed to the pages
 * through Deps. Discovery starts at once and never blocks or stops the start: a provider that does
 * not answer is logged once, retried in the background, and meanwhile its button says so and its
 * route answers a clear page. The web layer sees only plain results (never a thrown error of this
 * layer), so it needs nothing from here but the types.
 */

export type { OidcFailureCode, OidcFlow, OidcIdentity };

/** `ready`: discovered; `pending`: the first discovery is under way; `unavailable`: it failed. */
export type ProviderStatus = 'pending' | 'ready' | 'unavailable';

export type ProviderSummary = Readonly<{ id: string; name: string; status: ProviderStatus }>;

export type BeginResult = { ok: true; url: string; flow: OidcFlow } | { ok: false; code: OidcFailureCode };

export type CompleteResult =
  | { ok: true; identity: OidcIdentity }
  | { ok: false; code: OidcFailureCode; providerError?: string };

export type OidcProviders = Readonly<{
  /** In configuration order. */
  list(): ProviderSummary[];
  find(id: string): ProviderSummary | null;
  /** The provider's issuer (the `iss` its identities carry), or null for an unknown id. */
  issuerOf(id: string): string | null;
  /** Starts a log-in at provider `id`: the URL to send the browser to and the flow to keep. */
  begin(id: string): Promise<BeginResult>;
  /** Checks the callback's raw query against `flow` (already taken out of the session). */
  complete(id: string, flow: OidcFlow, query: string): Promise<CompleteResult>;
  /** Stops the background retries. */
  close(): void;
}>;

/** What the registry logs: pino's shape, so server.ts passes its logger. */
type Log = {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
  error(object: object, message: string): void;
};

export type OidcProvidersOptions = {
  appUrl: string;
  production: boolean;
  clock: OidcClock;
  log: Log;
  /** Wait between background discovery retries (default 30 s). */
  retryMs?: number;
  /** Passed to each relying party (tests shorten the start-up retries). */
  discovery?: { attempts?: number; wait?: (attempt: number) => Promise<void> };
};

type Entry = { config: OidcProviderEntry; party: RelyingParty; status: ProviderStatus };

/**
 * Builds a relying party per entry and starts discovering them all. Resolves at once; discovery
 * goes on in the background.
 * @throws OidcConfigError for an insecure issuer (config.ts refuses those first)
 */
export function createOidcProviders(
  entries: readonly OidcProviderEntry[],
  options: OidcProvidersOptions,
): OidcProviders {
  const retryMs = options.retryMs ?? 30_000;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const byId = new Map<string, Entry>(
    entries.map((config) => [
      config.id,
      {
        config,
        status: 'pending',
        party: createRelyingParty({
          id: config.id,
          issuer: config.issuer,
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          ...(config.scopes ? { scopes: config.scopes } : {}),
          redirectUri: callbackUrl(options.appUrl, config.id),
          production: options.production,
          clock: options.clock,
          ...(options.discovery ? { discovery: options.discovery } : {}),
        }),
      },
    ]),
  );

  const mark = (entry: Entry, status: ProviderStatus, error?: unknown) => {
    const before = entry.status;
    entry.status = status;
    if (status === 'ready' && before === 'unavailable') {
      options.log.info({ provider: entry.config.id }, 'OIDC provider answers again');
    } else if (status === 'unavailable' && before !== 'unavailable') {
      // Once per outage, not once per retry: a provider down for an hour is one line.
      options.log.warn(
        { provider: entry.config.id, issuer: entry.config.issuer, err: String(error) },
        'OIDC provider did not answer discovery; its log-in is unavailable until it does (retrying)',
      );
    }
  };

  // The first discovery makes the configured attempts; each background retry after that is one.
  const discover = (entry: Entry, attempts?: number) => {
    entry.party.discover(attempts).then(
      () => mark(entry, 'ready'),
      (error: unknown) => {
        mark(entry, 'unavailable', error);
        if (closed) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!closed && entry.status !== 'ready') discover(entry, 1);
        }, retryMs);
        timer.unref();
        timers.add(timer);
      },
    );
  };
  for (const entry of byId.values()) discover(entry);

  const summary = (entry: Entry): ProviderSummary => ({
    id: entry.config.id,
    name: entry.config.name,
    status: entry.status,
  });

  /** Our codes for the relying party's failures; anything else is a bug and stays thrown. */
  const failure = (error: unknown) => {
    if (error instanceof OidcLoginError) {
      return {
        ok: false as const,
        code: error.code,
        ...(error.providerError ? { providerError: error.providerError } : {}),
      };
    }
    throw error;
  };

  return {
    list: () => [...byId.values()].map(summary),
    find(id) {
      const entry = byId.get(id);
      return entry ? summary(entry) : null;
    },
    issuerOf: (id) => byId.get(id)?.config.issuer ?? null,
    async begin(id) {
      const entry = byId.get(id);
      if (!entry) return { ok: false, code: 'OIDC_WRONG_PROVIDER' };
      try {
        const started = await entry.party.beginLogin();
        mark(entry, 'ready');
        return { ok: true, ...started };
      } catch (error) {
        if (error instanceof OidcLoginError && error.code === 'OIDC_PROVIDER_UNAVAILABLE')
          mark(entry, 'unavailable', error);
        return failure(error);
      }
    },
    async complete(id, flow, query) {
      const entry = byId.get(id);
      if (!entry) return { ok: false, code: 'OIDC_WRONG_PROVIDER' };
      try {
        return { ok: true, identity: await entry.party.completeLogin(flow, query) };
      } catch (error) {
        if (error instanceof OidcLoginError && error.code !== 'OIDC_PROVIDER_UNAVAILABLE')
          options.log.info(
            { provider: id, code: error.code, providerError: error.providerError },
            'OIDC log-in refused',
          );
        return failure(error);
      }
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
