import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { issuerProblem } from './issuer.js';

/**
 * One OpenID Connect provider seen from this app (the relying party), on panva's certified
 * `openid-client`: discovery with retries, the authorization request (code flow, PKCE S256, state,
 * nonce) and the callback (state, RFC 9207 `iss`, the code exchange, the ID token). It keeps no
 * state of its own: the caller stores the returned {@link OidcFlow} in the page session and hands it
 * back, so a flow is bound to the browser that started it. It knows no HTTP status and no Koa.
 */

/** Time comes from here, so "expired flow" tests need no waiting (same shape as auth's Clock). */
export type OidcClock = { now(): Date };

export type RelyingPartyOptions = Readonly<{
  /** The provider's id in OIDC_PROVIDERS; part of the callback path. */
  id: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `openid email profile`; `openid` is always sent. */
  scopes?: readonly string[];
  /** `APP_URL/auth/:id/callback` ({@link callbackUrl}); never built from a request's Host header. */
  redirectUri: string;
  /** In production an `http://` issuer is refused even on a loopback host. */
  production: boolean;
  clock: OidcClock;
  /** How long a started log-in may take, in seconds (default 600). */
  flowTtlSeconds?: number;
  /** Network timeout per call to the provider, in seconds (default 10). */
  timeoutSeconds?: number;
  /** Discovery retries: `attempts` (default 5) and the wait after failed attempt N (default 0.5 s·2^(N-1)). */
  discovery?: Readonly<{ attempts?: number; wait?: (attempt: number) => Promise<void> }>;
}>;

/** What the page session keeps between `GET /auth/:id` and its callback. JSON-safe. */
export type OidcFlow = Readonly<{
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Milliseconds since the epoch, from the clock. */
  createdAt: number;
}>;

/** Who the provider says signed in. `emailVerified` is true only for a boolean `true` claim. */
export type OidcIdentity = Readonly<{
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}>;

export type OidcFailureCode =
  /** Discovery, the token or the userinfo endpoint did not answer. */
  | 'OIDC_PROVIDER_UNAVAILABLE'
  /** The flow is older than `flowTtlSeconds`. */
  | 'OIDC_FLOW_EXPIRED'
  /** The flow was started for another provider id. */
  | 'OIDC_WRONG_PROVIDER'
  /** `state` differs from the one this browser's flow holds (login CSRF, a swapped callback). */
  | 'OIDC_STATE_MISMATCH'
  /** `iss` is missing (the provider promises it) or names another issuer (mix-up attack, RFC 9207). */
  | 'OIDC_ISSUER_MISMATCH'
  /** The person pressed "Deny" (`error=access_denied`). */
  | 'OIDC_ACCESS_DENIED'
  /** Any other `error` in the callback; its OAuth code is in `providerError`. */
  | 'OIDC_PROVIDER_ERROR'
  /** The token endpoint refused the code (used already, expired, or not ours): `invalid_grant`. */
  | 'OIDC_CODE_REJECTED'
  /** A malformed callback, a bad ID token (signature, audience, nonce, expiry) or userinfo. */
  | 'OIDC_INVALID_RESPONSE';

/** A log-in that cannot go on; the web layer shows a page per `code` with a way back. */
export class OidcLoginError extends Error {
  override readonly name = 'OidcLoginError';
  constructor(
    readonly code: OidcFailureCode,
    message: string,
    readonly providerError?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A provider entry that must stop the start (an insecure issuer). */
export class OidcConfigError extends Error {
  override readonly name = 'OidcConfigError';
}

export { issuerProblem };

/** `APP_URL/auth/:id/callback`: the redirect URI to register at the provider. */
export function callbackUrl(appUrl: string, id: string): string {
  return new URL(`auth/${encodeURIComponent(id)}/callback`, appUrl.endsWith('/') ? appUrl : `${appUrl}/`)
    .href;
}

export type RelyingParty = Readonly<{
  id: string;
  issuer: string;
  /**
   * Discovers the provider, retrying as configured; resolves once it answered. Call it at start
   * without awaiting the outcome (log the rejection): a provider that is briefly down does not stop
   * the app, and the next log-in tries again. Rejects with OIDC_PROVIDER_UNAVAILABLE.
   */
  discover(attempts?: number): Promise<void>;
  /** The URL to send the browser to, and the flow to keep in its page session. */
  beginLogin(): Promise<{ url: string; flow: OidcFlow }>;
  /**
   * Checks the callback's query (the request's raw query string) against the flow and exchanges the
   * code. Remove the flow from the session BEFORE calling, so a replayed callback finds none.
   */
  completeLogin(flow: OidcFlow, query: string | URLSearchParams): Promise<OidcIdentity>;
}>;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const defaultWait = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));

/** A relying party for one provider; throws {@link OidcConfigError} for an insecure issuer. */
export function createRelyingParty(options: RelyingPartyOptions): RelyingParty {
  const problem = issuerProblem(options.issuer, options.production);
  if (problem) throw new OidcConfigError(`OIDC provider ${options.id}: ${problem}`);
  const issuerUrl = new URL(options.issuer);
  const insecure = issuerUrl.protocol === 'http:';
  const flowTtlMs = (options.flowTtlSeconds ?? 600) * 1000;
  const attempts = Math.max(1, options.discovery?.attempts ?? 5);
  const wait = options.discovery?.wait ?? defaultWait;
  const scope = [...new Set(['openid', ...(options.scopes ?? ['email', 'profile'])])].join(' ');

  let discovered: client.Configuration | null = null;
  let pending: Promise<client.Configuration> | null = null;

  async function discoverOnce(): Promise<client.Configuration> {
    return client.discovery(issuerUrl, options.clientId, options.clientSecret, undefined, {
      // Only ever for a loopback issuer outside production (issuerProblem above).
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: options.timeoutSeconds ?? 10,
    });
  }

  async function configuration(tries: number): Promise<client.Configuration> {
    if (discovered) return discovered;
    // A person is waiting: one attempt of its own, never behind the start-up retries' waits.
    if (tries === 1 && pending) return attemptOnce();
    pending ??= (async () => {
      let lastError: unknown;
      for (let attempt = 1; attempt <= tries; attempt += 1) {
        try {
          discovered = await discoverOnce();
          return discovered;
        } catch (error) {
          lastError = error;
          if (attempt < tries) await wait(attempt);
        }
      }
      throw new OidcLoginError(
        'OIDC_PROVIDER_UNAVAILABLE',
        `OIDC provider ${options.id}: discovery at ${options.issuer} failed after ${tries} attempt(s): ${String(lastError)}`,
        undefined,
        { cause: lastError },
      );
    })().finally(() => {
      pending = null;
    });
    return pending;
  }

  async function attemptOnce(): Promise<client.Configuration> {
    try {
      discovered = await discoverOnce();
      return discovered;
    } catch (error) {
      throw new OidcLoginError(
        'OIDC_PROVIDER_UNAVAILABLE',
        `OIDC provider ${options.id}: discovery at ${options.issuer} failed: ${String(error)}`,
        undefined,
        { cause: error },
      );
    }
  }

  return {
    id: options.id,
    issuer: options.issuer,
    async discover(tries = attempts) {
      await configuration(Math.max(1, tries));
    },
    async beginLogin() {
      // A person is waiting: one try, not the start-up retries.
      const config = await configuration(1);
      const flow: OidcFlow = {
        provider: options.id,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        createdAt: options.clock.now().getTime(),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, flow };
    },
    async completeLogin(flow, query) {
      if (flow.provider !== options.id) {
        throw new OidcLoginError(
          'OIDC_WRONG_PROVIDER',
          `flow started for ${flow.provider}, not ${options.id}`,
        );
      }
      if (options.clock.now().getTime() - flow.createdAt > flowTtlMs) {
        throw new OidcLoginError('OIDC_FLOW_EXPIRED', 'the log-in took too long; start again');
      }
      const params = new URLSearchParams(query);
      if (!sameSecret(params.get('state') ?? '', flow.state)) {
        throw new OidcLoginError('OIDC_STATE_MISMATCH', 'the callback state is not this browser’s');
      }
      const config = await configuration(1);
      const metadata = config.serverMetadata();
      const iss = params.get('iss');
      if (
        iss === null
          ? metadata.authorization_response_iss_parameter_supported === true
          : iss !== metadata.issuer
      ) {
        throw new OidcLoginError(
          'OIDC_ISSUER_MISMATCH',
          `the callback iss is ${iss ?? 'missing'}, not ${metadata.issuer}`,
        );
      }
      const error = params.get('error');
      if (error !== null) {
        const code = error === 'access_denied' ? 'OIDC_ACCESS_DENIED' : 'OIDC_PROVIDER_ERROR';
        throw new OidcLoginError(code, `the provider answered ${error}`, error);
      }
      // The exchange's "current URL" is our configured redirect URI plus the query: nothing from the
      // request's Host or path reaches the provider.
      const current = new URL(options.redirectUri);
      current.search = params.toString();
      const tokens = await exchange(() =>
        client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        }),
      );
      const claims = tokens.claims();
      if (!claims) throw new OidcLoginError('OIDC_INVALID_RESPONSE', 'the provider sent no ID token');
      // Several providers keep scope claims out of the ID token (OIDC Core 5.4); ask userinfo then.
      const source =
        claims.email === undefined
          ? await exchange(() => client.fetchUserInfo(config, tokens.access_token, claims.sub))
          : claims;
      return {
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof source.email === 'string' ? source.email : null,
        emailVerified: source.email_verified === true,
        name: typeof source.name === 'string' ? source.name : null,
      };
    },
  };
}

/** Maps the library's failures to our codes; the provider's own text stays in `cause` (for logs). */
async function exchange<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OidcLoginError) throw error;
    if (error instanceof client.ResponseBodyError) {
      const code = error.error === 'invalid_grant' ? 'OIDC_CODE_REJECTED' : 'OIDC_PROVIDER_ERROR';
      throw new OidcLoginError(code, `the provider refused: ${error.error}`, error.error, { cause: error });
    }
    if (error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError')) {
      // fetch's "fetch failed" (connection refused, DNS) or the timeout.
      throw new OidcLoginError('OIDC_PROVIDER_UNAVAILABLE', 'the provider did not answer', undefined, {
        cause: error,
      });
    }
    throw new OidcLoginError(
      'OIDC_INVALID_RESPONSE',
      `the provider's answer was refused: ${String(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
}
