import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startApp, type TestApp } from './helpers/app.js';

/**
 * A real LoopBack 3 client app — `loopback` with `loopback-connector-remote`, a `user` model
 * extending `User` as LB3 apps declare it — talking to OUR /api, to prove issue 9.5's promise
 * that LoopBack 3 clients move over unchanged. Nothing on the client is stubbed: the requests
 * are the ones strong-remoting builds, recorded on the way by a plain forwarding proxy so the
 * wire shape (paths, query strings, headers) is asserted too.
 */

// LoopBack 3 is CommonJS without types: these are the few members this test calls.
type Lb3Callable<T> = (...args: unknown[]) => Promise<T>;
type Lb3UserInstance = {
  id: unknown;
  email: string;
  username?: string;
  updateAttributes(data: Record<string, unknown>): Promise<Lb3UserInstance>;
};
type Lb3AccessToken = {
  id: string;
  ttl: number;
  created: string;
  userId: unknown;
  user?: { id: unknown; email: string; password?: unknown };
};
type Lb3UserModel = {
  create: Lb3Callable<Lb3UserInstance>;
  confirm: Lb3Callable<void>;
  login: Lb3Callable<Lb3AccessToken>;
  findById: Lb3Callable<Lb3UserInstance | null>;
  logout: Lb3Callable<void>;
};
type Lb3Auth = { bearer: string; sendImmediately: boolean } | { accessToken: { id: string } } | undefined;
type Lb3DataSource = { connector: { remotes: { auth: Lb3Auth } } };
type Lb3App = {
  dataSource(name: string, settings: Record<string, unknown>): Lb3DataSource;
  registry: { createModel(definition: Record<string, unknown>): Lb3UserModel };
  model(model: Lb3UserModel, config: Record<string, unknown>): void;
};
type Lb3Factory = (options: Record<string, unknown>) => Lb3App;
/** What strong-remoting turns an error answer into: the envelope's fields on an Error. */
type Lb3Error = Error & { statusCode?: number; code?: string };

const require = createRequire(import.meta.url);
const loopback = require('loopback') as Lb3Factory;
const remoteConnector = require('loopback-connector-remote') as unknown;

type Recorded = {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
};

/** Forwards every request to the app unchanged and remembers it with the status it got. */
async function startRecordingProxy(target: string) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = http.request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          requests.push({
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            body: body.toString('utf8'),
            status: answer.statusCode ?? 0,
          });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The LoopBack 3 client app as `lb app` + a `remote` datasource would declare it. */
function createLb3Client(apiUrl: string) {
  const client = loopback({ localRegistry: true, loadBuiltinModels: true });
  const remote = client.dataSource('remote', { connector: remoteConnector, url: apiUrl });
  // The default id (a number), as in every LB3 app that did not declare one.
  const User = client.registry.createModel({ name: 'user', base: 'User', plural: 'users' });
  client.model(User, { dataSource: 'remote' });
  return { User, remote };
}

const EMAIL = 'lb3-client@example.com';
const PASSWORD = 'a long enough lb3 password';

let app: TestApp;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let User: Lb3UserModel;
let remote: Lb3DataSource;

before(async () => {
  app = await startApp();
  proxy = await startRecordingProxy(app.url);
  ({ User, remote } = createLb3Client(`${proxy.url}/api`));
});

after(async () => {
  await proxy?.close();
  await app?.close();
});

/** The one request the last client call sent to `pathname`. */
function lastRequestTo(method: string, pathname: string): Recorded {
  const found = proxy.requests.filter(
    (request) => request.method === method && new URL(request.url, proxy.url).pathname === pathname,
  );
  const request = found.at(-1);
  assert.ok(
    request,
    `no ${method} ${pathname} among ${proxy.requests.map((r) => `${r.method} ${r.url}`).join(', ')}`,
  );
  return request;
}

// The steps run in order and share the account, as one client session would.
let created: Lb3UserInstance;
let login: Lb3AccessToken;

test('User.create: POST /api/users answers a user whose id a LB3 model keeps (a whole number)', async () => {
  created = await User.create({ email: EMAIL, password: PASSWORD });
  const request = lastRequestTo('POST', '/api/users');
  assert.equal(request.status, 200);
  assert.deepEqual(JSON.parse(request.body), { email: EMAIL, password: PASSWORD });
  assert.equal(created.email, EMAIL);
  // The client casts the answer's id to its model's Number id: a UUID becomes NaN here.
  assert.ok(Number.isSafeInteger(created.id), `the client model holds id ${String(created.id)}`);
});

test('User.confirm with the emailed uid and token: GET /api/users/confirm answers 204', async () => {
  const mail = await app.mail.waitFor(EMAIL);
  const link = mail.links.map((href) => new URL(href)).find((url) => url.searchParams.has('token'));
  assert.ok(link, `no verification link in ${mail.links.join(' ')}`);
  const uid = link.searchParams.get('uid');
  // Confirmed first, so the steps below still run (and fail for their own reasons) if the id is off.
  await User.confirm(uid, link.searchParams.get('token'));
  assert.equal(lastRequestTo('GET', '/api/users/confirm').status, 204);
  assert.equal(uid, String(created.id));
});

test("User.login(credentials, ['user']) sends ?include[0]=user and gets the user back", async () => {
  login = await User.login({ email: EMAIL, password: PASSWORD }, ['user']);
  const request = lastRequestTo('POST', '/api/users/login');
  assert.equal(new URL(request.url, proxy.url).search, '?include%5B0%5D=user');
  assert.equal(request.status, 200);
  assert.equal(typeof login.id, 'string');
  assert.ok(login.user, `the login answer has no user: ${JSON.stringify(Object.keys(login))}`);
  assert.equal(login.user.email, EMAIL);
  assert.equal(login.user.password, undefined);
  // login's answer is a plain object to the client: its ids arrive as the server wrote them.
  assert.ok(Number.isSafeInteger(login.userId), `userId ${JSON.stringify(login.userId)}`);
  assert.equal(login.user.id, login.userId);
  assert.equal(login.userId, created.id);
});

/** As loopback-connector-remote's README says to: the token base64-encoded as a Bearer. */
function useToken(token: string) {
  remote.connector.remotes.auth = { bearer: Buffer.from(token).toString('base64'), sendImmediately: true };
}

test('User.findById(the id create gave) with the token: GET /api/users/1', async () => {
  useToken(login.id);
  const found = await User.findById(created.id);
  const request = lastRequestTo('GET', `/api/users/${String(created.id)}`);
  assert.match(request.url, /^\/api\/users\/[1-9][0-9]*$/);
  assert.equal(request.headers.authorization, `Bearer ${Buffer.from(login.id).toString('base64')}`);
  assert.equal(request.status, 200);
  assert.ok(found, 'findById gave null (the server answered 404)');
  assert.equal(found.email, EMAIL);
  assert.equal(found.id, created.id);
});

test('User.findById("me") with the token: GET /api/users/me', async () => {
  useToken(login.id);
  const me = await User.findById('me');
  assert.equal(lastRequestTo('GET', '/api/users/me').status, 200);
  assert.ok(me, 'findById gave null (the server answered 404)');
  assert.equal(me.email, EMAIL);
  assert.ok(Number.isSafeInteger(me.id), `the client model holds id ${String(me.id)}`);
});

test("the connector's other way to send a token: `Authorization: TOKEN` (remotes.auth.accessToken)", async () => {
  remote.connector.remotes.auth = { accessToken: { id: login.id } };
  const me = await User.findById('me');
  const request = lastRequestTo('GET', '/api/users/me');
  assert.equal(request.headers.authorization, login.id);
  assert.equal(request.status, 200);
  assert.equal(me?.email, EMAIL);
});

test('instance.updateAttributes: PATCH /api/users/:id with the numeric id', async () => {
  useToken(login.id);
  const me = await User.findById('me');
  assert.ok(me, 'findById gave null');
  const updated = await me.updateAttributes({ username: 'lb3client' });
  const request = lastRequestTo('PATCH', `/api/users/${String(me.id)}`);
  assert.match(request.url, /^\/api\/users\/[1-9][0-9]*$/);
  assert.equal(request.status, 200);
  assert.deepEqual(JSON.parse(request.body), { username: 'lb3client' });
  assert.equal(updated.username, 'lb3client');
});

test('a token the client did not get is refused as LoopBack refuses it (401 in its envelope)', async () => {
  useToken('x'.repeat(64));
  await assert.rejects(User.findById('me'), (error: Lb3Error) => {
    assert.equal(error.statusCode, 401);
    return true;
  });
});

test('User.logout: POST /api/users/logout with the token answers 204, then the token opens nothing', async () => {
  useToken(login.id);
  await User.logout();
  const request = lastRequestTo('POST', '/api/users/logout');
  assert.equal(request.status, 204);
  assert.equal(request.headers.authorization, `Bearer ${Buffer.from(login.id).toString('base64')}`);
  await assert.rejects(User.findById('me'), (error: Lb3Error) => {
    assert.equal(error.statusCode, 401);
    return true;
  });
});
