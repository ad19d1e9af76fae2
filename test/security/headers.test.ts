import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import type { FormClient, Page } from '../helpers/browser.js';
import { api, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

/** The head of the answer to a GET whose request line carries `target` as given. */
async function rawGet(base: string, target: string): Promise<string> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.end(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  return text.split('\r\n\r\n')[0] ?? '';
}

/** The directives of a CSP header, by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = '', ...sources]) => [name.toLowerCase(), sources]),
  );
}

function assertSecurityHeaders(headers: Headers, what: string) {
  const policy = headers.get('content-security-policy');
  assert.ok(policy, `${what}: a CSP`);
  const csp = directives(policy);
  assert.deepEqual(csp.get('default-src'), ["'self'"], `${what}: default-src`);
  assert.deepEqual(csp.get('script-src'), ["'self'"], `${what}: script-src 'self' only, no inline script`);
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors`);
  assert.deepEqual(csp.get('object-src'), ["'none'"], `${what}: object-src`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${what}: base-uri`);
  assert.deepEqual(csp.get('form-action'), ["'self'"], `${what}: form-action`);
  assert.ok(!policy.includes('unsafe-eval'), `${what}: no unsafe-eval`);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options for old browsers`);
  assert.equal(headers.get('x-powered-by'), null, `${what}: no X-Powered-By`);
}

/**
 * A JSON API answer's headers (middleware/api-headers.ts): a CSP stricter than the pages' (JSON
 * loads nothing), nosniff, no framing, no Referer, no embedding by other sites and no caching; not
 * helmet's headers that only act on HTML documents.
 */
function assertApiSecurityHeaders(headers: Headers, what: string) {
  const policy = headers.get('content-security-policy');
  assert.ok(policy, `${what}: a CSP`);
  const csp = directives(policy);
  assert.deepEqual(
    csp.get('default-src'),
    ["'none'"],
    `${what}: default-src 'none': an answer loads nothing`,
  );
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors`);
  for (const [name, sources] of csp)
    assert.ok(
      name === 'frame-ancestors' || sources.every((source) => source === "'none'"),
      `${what}: ${name} allows nothing`,
    );
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options for old browsers`);
  assert.equal(headers.get('cross-origin-resource-policy'), 'same-origin', `${what}: CORP`);
  assert.equal(headers.get('cache-control'), 'no-store', `${what}: no cache keeps an API answer`);
  assert.equal(headers.get('x-powered-by'), null, `${what}: no X-Powered-By`);
  for (const pageOnly of ['cross-origin-opener-policy', 'x-dns-prefetch-control', 'x-download-options'])
    assert.equal(headers.get(pageOnly), null, `${what}: ${pageOnly} acts on HTML documents only`);
}

/** No script the CSP would have to allow inline: no <script> without src, no on* handlers, no javascript: URLs. */
function assertNoInlineScript(html: string, what: string) {
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    assert.match(tag, /\ssrc="\/[^"]+"/, `${what}: ${tag} loads a file from this site`);
  }
  assert.doesNotMatch(html, /<[^>]+\son[a-z]+\s*=/i, `${what}: an inline event handler`);
  assert.doesNotMatch(html, /javascript:/i, `${what}: a javascript: URL`);
  assert.doesNotMatch(html, /<style\b|\sstyle="/i, `${what}: an inline style`);
}

describe('security headers on every response', () => {
  let app: TestApp;
  let browser: FormClient;
  before(async () => {
    app = await startApp();
    await seedUser(app, 'headers@example.com');
    browser = await freshBrowser(app);
    await logInWith(browser, 'headers@example.com', PASSWORD);
  });
  after(async () => {
    await app.close();
  });

  test('HTML pages, logged in and out, and their error pages', async () => {
    const anonymous = await freshBrowser(app);
    const pages: Array<[string, Page]> = [
      ['GET /', await anonymous.get('/')],
      ['GET /home', await browser.get('/home')],
      ['GET /home (logged out: 303)', await anonymous.get('/home')],
      ['GET /change-password', await browser.get('/change-password')],
      ['GET /logout', await browser.get('/logout')],
      ['GET /verified', await anonymous.get('/verified')],
      ['GET /verify (bad link: 400)', await anonymous.get('/verify?uid=x&token=y')],
      ['GET /reset-password (bad link: 401)', await anonymous.get('/reset-password?access_token=nope')],
      ['GET /nowhere (404)', await anonymous.get('/nowhere')],
      ['POST /login (401)', await anonymous.post('/login', { email: 'x@example.com', password: 'wrong!' })],
      [
        'POST /login without CSRF (403)',
        await anonymous.post('/login', { _csrf: '', email: 'x', password: 'y' }),
      ],
      ['POST /signup (422)', await anonymous.post('/signup', { email: 'bad', password: 'short' })],
      ['GET /style.css', await anonymous.get('/style.css')],
    ];
    for (const [what, page] of pages) {
      assertSecurityHeaders(page.headers, what);
      if (page.headers.get('content-type')?.startsWith('text/html')) assertNoInlineScript(page.html, what);
    }
  });

  test('oversized and malformed requests are refused with the headers too', async () => {
    const big = await fetch(new URL('/login', app.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${'a'.repeat(200_000)}`,
    });
    assert.equal(big.status, 413);
    assertSecurityHeaders(big.headers, 'POST /login 200 kB (413)');
    const badJson = await fetch(new URL('/api/users/login', app.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    assert.equal(badJson.status, 400);
    assertApiSecurityHeaders(badJson.headers, 'POST /api/users/login bad JSON (400)');
  });

  test('the JSON API, its errors and the explorer', async () => {
    for (const [method, path] of [
      ['GET', '/api/users/me'],
      ['POST', '/api/users/logout'],
      ['GET', '/api/openapi.json'],
      ['GET', '/api/nowhere'],
      // A JSON answer for load balancers, served with the API's headers (api/health.ts).
      ['GET', '/healthz'],
      ['POST', '/healthz'],
    ] as const) {
      const response = await fetch(new URL(path, app.url), { method });
      assertApiSecurityHeaders(response.headers, `${method} ${path}`);
    }
    // The router matches paths case-blind, so the API's error format must too.
    const shouted = await fetch(new URL('/API/Users/Me', app.url));
    assert.equal(shouted.status, 401);
    assert.match(shouted.headers.get('content-type') ?? '', /^application\/json/);
    assertApiSecurityHeaders(shouted.headers, 'GET /API/Users/Me');
    // Logged in too: an answer with account data.
    const login = await api(app, 'POST', '/api/users/login', {
      email: 'headers@example.com',
      password: PASSWORD,
    });
    assert.equal(login.status, 200);
    const { id } = login.json as { id: string };
    const me = await api(app, 'GET', '/api/users/me', undefined, { authorization: id });
    assert.equal(me.status, 200);
    assertApiSecurityHeaders(me.headers, 'GET /api/users/me logged in');
    // An absolute-form request target (RFC 9112 §3.2.2) is the API's too, as Koa reads its path.
    const absolute = await rawGet(app.url, `${app.url}/api/users/me`);
    assert.match(absolute, /^HTTP\/1\.1 401 /);
    assert.match(absolute, /content-type: application\/json/i);
    const explorer = await fetch(new URL('/explorer', app.url));
    assert.equal(explorer.status, 200, 'the explorer is on outside production');
    // Swagger UI writes inline styles from its script, so only there styles may be inline; never script.
    const csp = directives(explorer.headers.get('content-security-policy') ?? '');
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    assert.equal(explorer.headers.get('x-content-type-options'), 'nosniff');
    assertNoInlineScript(await explorer.text(), 'GET /explorer');
  });

  test('no CORS: a preflight from another origin is granted nothing, so no other site can call the API', async () => {
    const preflight = await fetch(new URL('/api/users/login', app.url), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
    const post = await fetch(new URL('/api/users/login', app.url), {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'headers@example.com', password: PASSWORD }),
    });
    assert.equal(post.headers.get('access-control-allow-origin'), null);
  });

  test('the reset page never sends its token onwards in a Referer', async () => {
    const page = await browser.get('/reset-password?access_token=whatever');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('cache-control'), 'no-store');
  });
});
