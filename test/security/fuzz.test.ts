import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startApp, type TestApp } from '../helpers/app.js';
import type { FormClient } from '../helpers/browser.js';
import { api, freshBrowser, logInWith, PASSWORD, seedUser } from './support.js';

// Modest run counts: the whole file takes seconds; a failure prints the seed to replay it.
const RUNS = { pages: 150, api: 150, limited: 60 };

const HTML_POSTS = [
  '/login',
  '/logout',
  '/logout-all',
  '/signup',
  '/resend-verification',
  '/request-password-reset',
  '/reset-password',
  '/change-password',
];
const API_WRITES: Array<[string, string]> = [
  ['POST', '/api/users'],
  ['POST', '/api/users/login'],
  ['POST', '/api/users/logout'],
  ['POST', '/api/users/reset'],
  ['POST', '/api/users/reset-password'],
  ['POST', '/api/users/change-password'],
  ['PATCH', '/api/users/me'],
];

/** Values attackers and broken clients send. */
const HOSTILE = [
  '',
  ' ',
  '\u0000',
  '%00',
  '%',
  '%ff%fe',
  '\uD800',
  '\uFEFF',
  '<script>alert(1)</script>',
  `"'><img src=x onerror=alert(1)>`,
  "' OR '1'='1",
  '{"$gt":""}',
  '../../../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
  '${7*7}',
  '<%= process.env %>',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  'true',
  '[]',
  '{}',
  'a'.repeat(300),
  'b'.repeat(5000),
  '😀'.repeat(40),
  'survivor@example.com',
  'SURVIVOR',
  'x@example.com',
  'A'.repeat(64),
];

const FIELDS = [
  'email',
  'password',
  'username',
  'remember',
  'next',
  '_csrf',
  'access_token',
  'confirmation',
  'oldPassword',
  'newPassword',
  'ttl',
  'include',
  'redirect',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'email[]',
  'email[0]',
  'email[$ne]',
  'password[length]',
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);
const fieldName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
  fc.string({ maxLength: 20 }),
);
const pairs = fc.array(fc.tuple(fieldName, hostileString), { maxLength: 8 });

/** Header values as an HTTP client can send them: visible ASCII only. */
const headerValue = fc
  .oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary-ascii', maxLength: 200 }))
  .map((value) => value.replace(/[^\x20-\x7e]/g, ''));

const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-7',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/vnd.api+json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'garbage/garbage',
  '',
);

const jsonBody = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
  fc
    .dictionary(fieldName, fc.oneof(hostileString, fc.jsonValue(), fc.integer(), fc.double()), { maxKeys: 6 })
    .map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"email":{"$ne":null},"password":{"$ne":null}}',
    '{"email":["survivor@example.com"],"password":["x"]}',
    '{"ttl":1e308}',
    '{"ttl":-1}',
    '{"email":"survivor@example.com","password":"x","ttl":"forever"}',
    `${'['.repeat(3000)}${']'.repeat(3000)}`,
    '{"email":',
    '\u0000',
    '',
    `{"email":"${'x'.repeat(120_000)}"}`,
  ),
);

const formBody = (csrf: string) =>
  fc.tuple(fc.boolean(), pairs).map(([withCsrf, fields]) => {
    const body = new URLSearchParams(withCsrf ? [['_csrf', csrf], ...fields] : fields);
    return body.toString();
  });

const rawBody = fc.oneof(
  hostileString,
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '%',
    '%%%',
    'a=%ff',
    'a[b][c][d][e][f]=1',
    'a=1&a=2&a=3',
    '&&&==&=',
    `x=${'y'.repeat(120_000)}`,
  ),
);

const query = fc.oneof(
  pairs.map((fields) => (fields.length ? `?${new URLSearchParams(fields)}` : '')),
  fc.constantFrom(
    '',
    '?',
    '?%',
    '?a=%ff',
    '?include=user&include=user',
    `?access_token=${'A'.repeat(64)}`,
    '?next=//evil',
  ),
);

type Attack = { method: string; path: string; headers: Record<string, string>; body: string };
type Answer = { status: number; headers: Record<string, string | string[] | undefined>; text: string };

function send(app: TestApp, attack: Attack): Promise<Answer> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        method: attack.method,
        path: attack.path,
        headers: { ...attack.headers, 'content-length': Buffer.byteLength(attack.body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // The server may answer (413) and close before an oversized body is fully written.
    sent.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE'
        ? resolve({ status: 0, headers: {}, text: '' })
        : reject(error),
    );
    sent.end(attack.body);
  });
}

// What a leaked exception looks like: a stack frame, a path on this machine, an engine error name.
const STACK_TRACE = /\n\s+at\s|\bat [^\s]+ \(|node:internal|node_modules|\/work\/|file:\/\/|\.ts:\d+:\d+/;
const ENGINE_ERROR = /\b(TypeError|ReferenceError|RangeError|SyntaxError)\b/;

function assertHandled(attack: Attack, answer: Answer) {
  const what = `${attack.method} ${attack.path.slice(0, 120)}`;
  if (answer.status === 0) return; // the connection was cut after a 413: nothing was served
  assert.ok(answer.status >= 200 && answer.status < 500, `${what}: status ${answer.status}`);
  assert.doesNotMatch(answer.text, STACK_TRACE, `${what}: a stack trace`);
  assert.doesNotMatch(answer.text, ENGINE_ERROR, `${what}: an engine error name`);
  assert.ok(!answer.text.includes('[object Object]'), `${what}: an object printed as text`);
  assert.ok(answer.headers['content-security-policy'], `${what}: security headers`);
  if (attack.path.startsWith('/api/') && answer.status >= 400) {
    const envelope = JSON.parse(answer.text) as { error: { statusCode: number; code: string } };
    assert.equal(envelope.error.statusCode, answer.status, `${what}: LoopBack envelope`);
  }
}

function assertNoPrototypePollution() {
  for (const name of ['polluted', 'isAdmin']) {
    assert.equal(Object.hasOwn(Object.prototype, name), false, `Object.prototype.${name}`);
  }
}

describe('fuzzing every write route with random and hostile input', () => {
  let app: TestApp;
  let anonymous: FormClient;
  let member: FormClient;
  let apiToken: string;
  before(async () => {
    app = await startApp();
    await seedUser(app, 'survivor@example.com', { username: 'survivor' });
    await seedUser(app, 'fuzz-html@example.com');
    await seedUser(app, 'fuzz-api@example.com');
    anonymous = await freshBrowser(app);
    member = await freshBrowser(app);
    await logInWith(member, 'fuzz-html@example.com', PASSWORD);
    await member.get('/home');
    const login = await api(app, 'POST', '/api/users/login', {
      email: 'fuzz-api@example.com',
      password: PASSWORD,
    });
    apiToken = (login.json as { id: string }).id;
  });
  after(async () => {
    await app.close();
  });

  test('HTML form routes: never a 5xx, never a stack trace', async () => {
    const sessions = [anonymous, member];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...HTML_POSTS),
        fc.nat({ max: sessions.length }),
        query,
        contentType,
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .nat({ max: sessions.length - 1 })
              .chain((index) => formBody(sessions[index]!.lastCsrf)),
          },
          { weight: 1, arbitrary: rawBody },
        ),
        fc.record(
          {
            cookie: headerValue,
            'x-forwarded-for': headerValue,
            accept: headerValue,
            'x-http-method-override': headerValue,
          },
          { requiredKeys: [] },
        ),
        async (path, sessionIndex, search, type, body, extra) => {
          const session = sessions[sessionIndex];
          const headers: Record<string, string> = { ...extra };
          if (session) headers.cookie = session.cookieHeader();
          if (type) headers['content-type'] = type;
          const attack = { method: 'POST', path: `${path}${search}`, headers, body };
          assertHandled(attack, await send(app, attack));
        },
      ),
      { numRuns: RUNS.pages },
    );
    assertNoPrototypePollution();
  });

  test('JSON API routes: never a 5xx, never a stack trace, always the LoopBack envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...API_WRITES),
        query,
        contentType,
        fc.oneof({ weight: 3, arbitrary: jsonBody }, { weight: 1, arbitrary: rawBody }),
        fc.record(
          {
            authorization: fc.oneof(headerValue, fc.constant(apiToken), fc.constant(`Bearer ${apiToken}`)),
            'x-access-token': headerValue,
            cookie: headerValue,
            accept: headerValue,
          },
          { requiredKeys: [] },
        ),
        async ([method, path], search, type, body, extra) => {
          const headers: Record<string, string> = { ...extra };
          if (type) headers['content-type'] = type;
          const attack = { method, path: `${path}${search}`, headers, body };
          assertHandled(attack, await send(app, attack));
        },
      ),
      { numRuns: RUNS.api },
    );
    assertNoPrototypePollution();
  });

  test('afterwards the existing user still logs in, by page and API, and after a restart', async () => {
    const browser = await freshBrowser(app);
    assert.equal((await logInWith(browser, 'survivor@example.com', PASSWORD)).status, 303);
    assert.equal((await browser.get('/home')).status, 200);
    const login = await api(app, 'POST', '/api/users/login', { username: 'SURVIVOR', password: PASSWORD });
    assert.equal(login.status, 200);
    assert.equal((await api(app, 'GET', '/healthz')).status, 200);

    // The store on disk survived too: the same files, a new process of the app.
    await app.stop();
    const again = await startApp({ dir: app.dir, mail: app.mail });
    try {
      const fresh = await freshBrowser(again);
      assert.equal((await logInWith(fresh, 'survivor@example.com', PASSWORD)).status, 303);
    } finally {
      await again.close();
    }
  });
});

describe('fuzzing the limiter (RATE_LIMITS=on, TRUST_PROXY=true)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { RATE_LIMITS: 'on', TRUST_PROXY: 'true' } });
    await seedUser(app, 'limited-survivor@example.com');
  });
  after(async () => {
    await app.close();
  });

  test('hostile identifiers, addresses and paths reach the limiter: 4xx only, and the survivor still logs in', async () => {
    const browser = await freshBrowser(app);
    const routes = [
      '/login',
      '/LOGIN/',
      '/signup',
      '/request-password-reset',
      '/resend-verification',
      '/api/users/login',
      '/api/users/reset',
      '/api/users',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(fc.ipV4(), fc.ipV6(), headerValue),
        fc.oneof(hostileString, fc.jsonValue()),
        fc.oneof(hostileString, fc.jsonValue()),
        async (path, address, email, username) => {
          const isApi = path.startsWith('/api/');
          const body = isApi
            ? JSON.stringify({ email, username, password: 'not the password' })
            : new URLSearchParams({
                _csrf: browser.lastCsrf,
                // A form carries text only; JSON values go to the API.
                email: typeof email === 'string' ? email : JSON.stringify(email),
                username: typeof username === 'string' ? username : JSON.stringify(username),
                password: 'not the password',
              }).toString();
          const headers: Record<string, string> = {
            'content-type': isApi ? 'application/json' : 'application/x-www-form-urlencoded',
            'x-forwarded-for': address,
          };
          if (!isApi) headers.cookie = browser.cookieHeader();
          const attack = { method: 'POST', path, headers, body };
          assertHandled(attack, await send(app, attack));
        },
      ),
      { numRuns: RUNS.limited },
    );
    assertNoPrototypePollution();
    const survivor = await freshBrowser(app, { 'x-forwarded-for': '198.51.100.200' });
    const login = await logInWith(survivor, 'limited-survivor@example.com', PASSWORD, {
      'x-forwarded-for': '198.51.100.200',
    });
    assert.equal(login.status, 303);
  });
});
