import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from '@playwright/test';

/**
 * A real OpenID Connect provider for tests: panva's `oidc-provider` (the certified server) on a
 * loopback port, with one registered confidential client and accounts the test defines. Its login
 * and consent pages are our own small HTML forms (the library's development pages accept any login
 * and import a web font from the internet), so a test can be refused a wrong password, deny
 * consent, and run in Chromium without network access.
 */

/** A person at the provider; `sub` is what the relying party links, the rest are claims. */
export type ProviderAccount = {
  sub: string;
  email?: string;
  /** Only a boolean `true` means the provider vouches for the address. */
  email_verified?: boolean;
  name?: string;
  /** What the provider's login form wants; {@link PROVIDER_PASSWORD} when not given. */
  password?: string;
};

export const PROVIDER_PASSWORD = 'provider-password';

export type OidcProviderOptions = {
  /**
   * The client's registered redirect URIs (e.g. `${APP_URL}/auth/test/callback`). The app's URL is
   * often known only once it listens: add them then with `allowRedirectUri`.
   */
  redirectUris?: readonly string[];
  accounts?: readonly ProviderAccount[];
  clientId?: string;
  clientSecret?: string;
  /** A fixed port (e.g. for Playwright's webServer); default: a free one. */
  port?: number;
  /** How the issuer names the loopback host; the server always listens on 127.0.0.1. */
  hostname?: '127.0.0.1' | 'localhost';
  /**
   * `userinfo` (the library's default, `conformIdTokenClaims`): scope claims such as `email` come
   * only from the userinfo endpoint, as with several real providers. `id-token`: they are in the
   * ID token too, as Google does.
   */
  claimsIn?: 'userinfo' | 'id-token';
  /** Show the consent page after login (default), or grant what the client asked for at once. */
  consent?: boolean;
};

export type TestOidcProvider = {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash, as the discovery document says it). */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly running: boolean;
  /** Adds or replaces an account (a changed email or `email_verified` between two logins). */
  setAccount(account: ProviderAccount): void;
  /** Registers one more redirect URI for the client (any time, running or not). */
  allowRedirectUri(uri: string): Promise<void>;
  /** The app's OIDC_PROVIDERS entry for this provider. */
  entry(
    id: string,
    name: string,
  ): { id: string; name: string; issuer: string; clientId: string; clientSecret: string };
  /** Listens again on the same port, with the same keys, clients and sessions. */
  start(): Promise<void>;
  /** Stops answering (connections refused) until `start()`; state is kept. */
  stop(): Promise<void>;
};

// oidc-provider ships no types (and there is no @types package for v9): the part we call, typed.
type InteractionDetails = {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
};
type GrantInstance = {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
};
type ProviderInstance = {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Client: { find(id: string): Promise<{ redirectUris: string[] } | undefined> };
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  };
};
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

async function loadProvider(): Promise<ProviderConstructor> {
  // A non-literal specifier: TypeScript does not look for the (absent) declaration file.
  const specifier: string = 'oidc-provider';
  const loaded = (await import(specifier)) as { default: ProviderConstructor };
  return loaded.default;
}

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

function page(title: string, prompt: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Test Provider</title></head>
<body><main data-prompt="${prompt}"><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid: string, clientId: string, error?: string, login = ''): string {
  const alert = error ? `<p role="alert" data-error>${escapeHtml(error)}</p>` : '';
  return page(
    'Sign in to Test Provider',
    'login',
    `<p>Client <code>${escapeHtml(clientId)}</code> asks you to sign in.</p>${alert}
<form method="post" action="/interaction/${uid}/login">
<p><label for="login">Email or subject</label><br><input id="login" name="login" autocomplete="username" value="${escapeHtml(login)}" required></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`,
  );
}

function consentPage(uid: string, clientId: string, scopes: string[]): string {
  return page(
    'Authorize Test Client',
    'consent',
    `<p>Client <code>${escapeHtml(clientId)}</code> asks for: ${escapeHtml(scopes.join(', ') || 'nothing new')}.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
  );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
}

/**
 * Builds the provider without listening, so a test can point the app at an issuer that is down
 * at start and bring it up later (`start()`).
 */
export async function createOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const Provider = await loadProvider();
  const port = options.port ?? (await freePort());
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const clientId = options.clientId ?? 'test-client';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const accounts = new Map((options.accounts ?? []).map((account) => [account.sub, account]));

  const redirectUris = new Set(options.redirectUris ?? []);
  const keys = { jwks: { keys: [signingKey()] }, cookies: [randomBytes(32).toString('base64url')] };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        // The library wants at least one; this one leads nowhere.
        redirect_uris: redirectUris.size > 0 ? [...redirectUris] : [`${issuer}/no-redirect-uri-yet`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: keys.jwks,
    cookies: { keys: keys.cookies },
    // PKCE on every client, confidential ones too: a flow without it must fail here as it would at
    // a strict provider, so the relying party cannot drop it unnoticed.
    pkce: { required: () => true },
    // Explicit lifetimes (the defaults print a notice per use); a code lives a minute, as advised.
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: (options.claimsIn ?? 'userinfo') === 'userinfo',
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx: unknown, id: string) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const { password: _password, ...claims } = account;
          return claims;
        },
      };
    },
    async renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      // The library's error page imports a web font; this one loads nothing.
      ctx.type = 'html';
      ctx.body = page(
        'Provider error',
        'error',
        `<p data-error="${escapeHtml(out.error ?? '')}">${escapeHtml(out.error ?? 'error')}: ${escapeHtml(out.error_description ?? '')}</p>`,
      );
    },
  });

  const oidc = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, step?: string) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return sendHtml(res, 400, page('Wrong interaction', 'error', ''));
    const client = String(details.params.client_id ?? '');
    if (step === 'abort') {
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    }
    if (details.prompt.name === 'login') {
      if (step !== 'login') return sendHtml(res, 200, loginPage(uid, client));
      const form = await readForm(req);
      const login = form.get('login') ?? '';
      const account = accounts.get(login) ?? [...accounts.values()].find((each) => each.email === login);
      if (!account || form.get('password') !== (account.password ?? PROVIDER_PASSWORD)) {
        return sendHtml(res, 401, loginPage(uid, client, 'Wrong email or password.', login));
      }
      const result: Record<string, unknown> = { login: { accountId: account.sub } };
      if (options.consent === false) {
        result.consent = { grantId: await grantAll(details, account.sub) };
      }
      return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name === 'consent') {
      const missing = details.prompt.details.missingOIDCScope;
      const scopes = Array.isArray(missing) ? missing.map(String) : [];
      if (step !== 'confirm') return sendHtml(res, 200, consentPage(uid, client, scopes));
      const accountId = details.session?.accountId ?? '';
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grantAll(details, accountId) } },
        { mergeWithLastSubmission: true },
      );
    }
    return sendHtml(res, 501, page(`Prompt ${details.prompt.name} is not supported`, 'error', ''));
  }

  /** What the consent page's "Allow" grants: everything the prompt says is missing. */
  async function grantAll(details: InteractionDetails, accountId: string): Promise<string> {
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId, clientId: String(details.params.client_id) }))
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (Array.isArray(missingOIDCScope)) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (Array.isArray(missingOIDCClaims)) grant.addOIDCClaims(missingOIDCClaims.map(String));
    if (missingResourceScopes && typeof missingResourceScopes === 'object') {
      for (const [indicator, scope] of Object.entries(missingResourceScopes)) {
        if (Array.isArray(scope)) grant.addResourceScope(indicator, scope.join(' '));
      }
    }
    return grant.save();
  }

  let server: Server | null = null;

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    get running() {
      return server !== null;
    },
    setAccount(account) {
      accounts.set(account.sub, account);
    },
    async allowRedirectUri(uri) {
      redirectUris.add(uri);
      // Static clients are read at construction; the client object the provider checks redirect
      // URIs against is the one Client.find returns (cached), so the new URI is added there.
      const registered = await provider.Client.find(clientId);
      if (registered && !registered.redirectUris.includes(uri)) registered.redirectUris.push(uri);
    },
    entry(id, name) {
      return { id, name, issuer, clientId, clientSecret };
    },
    async start() {
      if (server) return;
      const listening = createServer((req, res) => {
        const { pathname } = new URL(req.url ?? '/', issuer);
        const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
        if (!match) return oidc(req, res);
        interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
          // Usually a missing or expired interaction cookie: a page, not a crash.
          if (!res.headersSent)
            sendHtml(res, 400, page('Interaction failed', 'error', escapeHtml(String(error))));
        });
      });
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, '127.0.0.1', () => resolve());
      });
      server = listening;
    },
    async stop() {
      const closing = server;
      if (!closing) return;
      server = null;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}

/** Builds the provider and starts it; `stop()` it in `after`. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const provider = await createOidcProvider(options);
  await provider.start();
  return provider;
}

export type ProviderDecision = {
  login: string;
  password?: string;
  /** `deny` presses the consent page's "Deny" (the client gets `error=access_denied`). */
  decision?: 'allow' | 'deny';
};

/** The provider refused the login (wrong password, unknown account) or answered with an error page. */
export class ProviderPageError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly html: string,
  ) {
    super(message);
  }
}

/**
 * A browser for the provider's side only, over plain HTTP: it follows the provider's redirects with
 * a cookie jar, fills its login and consent forms, and stops at the first redirect that leaves the
 * provider (the client's redirect URI with `code`, `state` and `iss`, or `error`), which it returns
 * without requesting it, so the test hands it to the app with the app's own cookies. The jar keeps
 * the provider's session: a second sign-in with the same browser skips the login form.
 */
export class ProviderBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly issuer: string) {}

  async signIn(authorizationUrl: string | URL, decision: ProviderDecision): Promise<URL> {
    const origin = new URL(this.issuer).origin;
    let url = new URL(authorizationUrl);
    let body: URLSearchParams | undefined;
    for (let hop = 0; hop < 20; hop += 1) {
      if (url.origin !== origin) return url;
      const response = await fetch(url, {
        method: body ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
      });
      this.keepCookies(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        body = undefined;
        continue;
      }
      const html = await response.text();
      const prompt = /data-prompt="([a-z]+)"/.exec(html)?.[1];
      if (response.status !== 200 || (prompt !== 'login' && prompt !== 'consent')) {
        throw new ProviderPageError(
          `the provider answered ${response.status} at ${url.pathname}`,
          response.status,
          html,
        );
      }
      const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]!);
      const submit = actions.find((action) => /\/(login|confirm)$/.test(action))!;
      const abort = actions.find((action) => action.endsWith('/abort'))!;
      if (prompt === 'login') {
        url = new URL(submit, url);
        body = new URLSearchParams({
          login: decision.login,
          password: decision.password ?? PROVIDER_PASSWORD,
        });
      } else {
        url = new URL(decision.decision === 'deny' ? abort : submit, url);
        body = new URLSearchParams();
      }
    }
    throw new Error('the provider kept redirecting (more than 20 hops)');
  }

  private keepCookies(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * For Playwright: aborts every request that does not go to a loopback host, so a page that imports
 * a web font (the library's own pages do) never waits on the internet. Call it before `goto`.
 */
export async function blockExternalRequests(target: BrowserContext | Page): Promise<void> {
  await target.route(
    (url) => !LOOPBACK_HOSTS.has(url.hostname),
    (route) => route.abort('blockedbyclient'),
  );
}

/** For Playwright: fills the provider's login form and presses "Allow" (or "Deny") on its consent page. */
export async function signInOnProviderPage(page: Page, decision: ProviderDecision): Promise<void> {
  await page.getByLabel('Email or subject').fill(decision.login);
  await page.getByLabel('Password').fill(decision.password ?? PROVIDER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('main[data-prompt="consent"]').waitFor();
  await page.getByRole('button', { name: decision.decision === 'deny' ? 'Deny' : 'Allow' }).click();
}

// `node --import tsx test/helpers/oidc-provider.ts --port 4455 --redirect-uri URL[,URL] --accounts JSON`
// runs it on its own, e.g. as a second Playwright webServer; it prints the issuer and client.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Map<string, string>();
  for (let index = 2; index < process.argv.length; index += 2) {
    args.set(process.argv[index]!.replace(/^--/, ''), process.argv[index + 1] ?? '');
  }
  const provider = await startOidcProvider({
    port: args.has('port') ? Number(args.get('port')) : undefined,
    redirectUris: (args.get('redirect-uri') ?? 'http://localhost:3000/auth/test/callback').split(','),
    accounts: JSON.parse(args.get('accounts') ?? '[]') as ProviderAccount[],
    clientId: args.get('client-id'),
    clientSecret: args.get('client-secret'),
  });
  console.log(
    JSON.stringify({
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    }),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void provider.stop());
}
