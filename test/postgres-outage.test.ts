import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ApiClient, logInToken, PASSWORD, signUpVerified } from './api/client.js';
import { startApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser.js';
import { startThrowawayPostgres, type TestDatabase, type ThrowawayPostgres } from './helpers/postgres.js';
import { until } from './helpers/until.js';

// The database going away under a running app (issue 12.1): every request is answered at once with
// a 503 and Retry-After (never a hang, never a 500), /healthz says so, and the app serves again
// by itself when the database is back. Its own throwaway server, since the test stops it.

/** How long any answer may take while the database is away (the pool's connect timeout is 5 s). */
const PROMPT_MS = 6_000;

async function timed<T>(work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  assert.ok(Date.now() - started < PROMPT_MS, `answered after ${Date.now() - started} ms`);
  return result;
}

describe('PostgreSQL going away while the app runs', () => {
  let postgres: ThrowawayPostgres;
  let database: TestDatabase;
  let app: TestApp;
  let api: ApiClient;
  before(async () => {
    postgres = await startThrowawayPostgres();
    database = await postgres.createDatabase();
    app = await startApp({ env: { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4' } });
    api = new ApiClient(app.url);
  });
  after(async () => {
    await app?.close();
    await postgres?.stop();
  });

  test('stopped: 503s with Retry-After on pages, API and /healthz, quickly; back: served again', async () => {
    await signUpVerified(app, api, 'ada@example.com');
    const token = await logInToken(api, 'ada@example.com');
    const browser = new FormClient(app.url);
    await browser.get('/');
    assert.equal((await api.get('/healthz')).status, 200);

    await postgres.halt();
    const answers = await timed(() =>
      Promise.all([
        api.get('/api/users/me', { token }),
        api.post('/api/users/login', { body: { email: 'ada@example.com', password: PASSWORD } }),
        api.post('/api/users', { body: { email: 'bob@example.com', password: PASSWORD } }),
        browser.post('/login', { email: 'ada@example.com', password: PASSWORD }),
      ]),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 503, 'html' in answer ? answer.html : answer.text);
      assert.equal(answer.headers.get('retry-after'), '5');
    }
    const [me] = answers;
    assert.equal((me!.json as { error: { code: string } }).error.code, 'SERVICE_UNAVAILABLE');
    assert.doesNotMatch(me!.text, /at .*\.ts:\d+|ECONN|ENOENT|postgres/i);
    await until('/healthz saying the database is down', async () => {
      const health = await timed(() => api.get('/healthz'));
      if (health.status === 200) return false;
      assert.equal(health.status, 503);
      assert.equal(health.headers.get('retry-after'), '5');
      assert.deepEqual(health.json, { status: 'unavailable', database: 'down' });
      return true;
    });

    await postgres.resume();
    await until('/healthz saying ok again', async () => (await api.get('/healthz')).status === 200);
    await until(
      'the token working again',
      async () => (await api.get('/api/users/me', { token })).status === 200,
    );
    const login = await browser.post('/login', { email: 'ada@example.com', password: PASSWORD });
    assert.equal(login.status, 303);
  });

  test("the app's connections cut by the server: a retryable 503 at worst, then served, never a 500", async () => {
    const token = await logInToken(api, 'ada@example.com');
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    try {
      const cut = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'koa-user-management'",
        [database.name],
      );
      assert.ok(cut.rowCount! > 0, 'the app held connections to cut');
    } finally {
      await admin.end();
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const me = await timed(() => api.get('/api/users/me', { token }));
      assert.ok(me.status === 200 || me.status === 503, me.text);
      if (me.status === 200) return;
    }
    assert.fail('the app did not serve again after its connections were cut');
  });
});
