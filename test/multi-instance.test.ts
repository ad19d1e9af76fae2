import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ApiClient, PASSWORD } from './api/client.js';
import { FormClient } from './helpers/browser.js';
import { type PostgresServer, type TestDatabase, usePostgres } from './helpers/postgres.js';
import { type SmtpSink, startSmtpSink } from './helpers/smtp-sink.js';
import { until } from './helpers/until.js';
import { type ServerProcess, startServerProcess, stopServerProcess } from './store/server-process.js';

// Issue 12.2-12.3: three real app processes (`npm start`'s entry) on one PostgreSQL database and
// one SMTP server, the way several instances run behind a load balancer. What one instance does,
// the others see on the very next request: accounts, tokens, log-outs, the limiter's counts, the
// page session, and the mail queue (each email sent once; a dead instance's claims taken over).

const SESSION_KEYS = 'multi-instance-test-key-one,multi-instance-test-key-two';
/** Short, so the test sees a dead instance's claims taken over; still far above a loopback send. */
const CLAIM_SECONDS = 5;

let postgres: PostgresServer;
let database: TestDatabase;
let mail: SmtpSink;
let db: pg.Client;
let instances: ServerProcess[] = [];

/** Each request from its own address (TRUST_PROXY): the per-address budgets never get in the way. */
let addressCount = 0;
const nextAddress = () => {
  addressCount++;
  return `10.${(addressCount >> 8) & 255}.${addressCount & 255}.7`;
};

/** ApiClient's request to one instance, from the next address. */
const call = (
  instance: ServerProcess,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
) =>
  new ApiClient(instance.url).request(method, path, {
    ...options,
    headers: { 'x-forwarded-for': nextAddress() },
  });

const signUp = (instance: ServerProcess, email: string) =>
  call(instance, 'POST', '/api/users', { body: { email, password: PASSWORD } });

async function startInstance(): Promise<ServerProcess> {
  const started = await startServerProcess({
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '4',
    SESSION_KEYS,
    SMTP_URL: mail.url,
    // Links name the load balancer's address, whichever instance wrote the mail.
    APP_URL: 'http://users.example.test',
    RATE_LIMITS: 'on',
    TRUST_PROXY: 'true',
    HASH_WORKERS: '1',
    MAIL_CLAIM_SECONDS: String(CLAIM_SECONDS),
    // Its "listening" log line names the port it took (the printed URL is APP_URL's).
    LOG_LEVEL: 'info',
  });
  let port: string | undefined;
  await until('the instance logging its port', () => {
    port = /"port":(\d+)[^\n]*"msg":"listening"/.exec(started.output())?.[1];
    return port !== undefined;
  });
  return { ...started, url: `http://127.0.0.1:${port}` };
}

const mailsTo = (email: string) => mail.mails.filter((caught) => caught.to === email).length;
const queued = async () => Number((await db.query('SELECT count(*) AS n FROM mail')).rows[0].n);

describe('three instances on one PostgreSQL database', () => {
  before(async () => {
    postgres = await usePostgres();
    database = await postgres.createDatabase();
    mail = await startSmtpSink();
    // The first applies the migrations; the others find them applied (or wait on the lock).
    instances = await Promise.all([startInstance(), startInstance(), startInstance()]);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });
  after(async () => {
    await Promise.all(instances.map((instance) => stopServerProcess(instance)));
    await db?.end();
    await mail?.close();
    await database?.drop();
    await postgres?.stop();
  });

  test('sign up on A, verify on B, log in on C, use on A, log out on B: refused on A and C at once', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    assert.equal((await signUp(a, 'ada@example.com')).status, 200);
    const link = (await mail.waitFor('ada@example.com')).links.find((found) => found.includes('/verify'));
    assert.ok(link);
    const query = new URL(link).searchParams;
    const confirm = `/api/users/confirm?uid=${query.get('uid')}&token=${query.get('token')}`;
    assert.equal((await call(b, 'GET', confirm)).status, 204);

    const login = await call(c, 'POST', '/api/users/login', {
      body: { email: 'ada@example.com', password: PASSWORD },
    });
    assert.equal(login.status, 200, login.text);
    const token = (login.json as { id: string }).id;
    const me = await call(a, 'GET', '/api/users/me', { token });
    assert.equal(me.status, 200);
    assert.equal((me.json as { email: string }).email, 'ada@example.com');

    assert.equal((await call(b, 'POST', '/api/users/logout', { token })).status, 204);
    assert.equal((await call(a, 'GET', '/api/users/me', { token })).status, 401);
    assert.equal((await call(c, 'GET', '/api/users/me', { token })).status, 401);
  });

  test('the page session cookie works on every instance, and a log-out on one ends it on all', async () => {
    const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
    const onA = new FormClient(a.url);
    await onA.get('/');
    assert.equal((await onA.post('/login', { email: 'ada@example.com', password: PASSWORD })).status, 303);
    const elsewhere = (instance: ServerProcess) => {
      const client = new FormClient(instance.url);
      for (const [name, value] of onA.cookies) client.cookies.set(name, value);
      return client;
    };
    const copied = new Map(onA.cookies);
    const onB = elsewhere(b);
    assert.equal((await onB.get('/home')).status, 200);
    const onC = elsewhere(c);
    assert.equal((await onC.get('/home')).status, 200);
    assert.equal((await onC.post('/logout', {})).status, 303);

    // The old cookie still verifies (same SESSION_KEYS) but names a token no instance accepts now.
    const replay = new FormClient(a.url);
    for (const [name, value] of copied) replay.cookies.set(name, value);
    const home = await replay.get('/home');
    assert.equal(home.status, 303);
    assert.equal(home.location, '/?next=/home', 'sent to log in');
  });

  test('30 wrong passwords spread over the three are counted together: 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const answer = await call(instances[attempt % 3]!, 'POST', '/api/users/login', {
        body: { email: 'ada@example.com', password: `wrong guess ${attempt}` },
      });
      statuses.push(answer.status);
      if (answer.status === 429) assert.ok(Number(answer.headers.get('retry-after')) > 0, answer.text);
    }
    // Counted per instance, each would have seen 10 (under the account's 12) and refused none.
    assert.deepEqual(statuses, [...Array(12).fill(401), ...Array(18).fill(429)]);
  });

  test('mail queued while SMTP is down arrives once it is back, each email exactly once', async () => {
    await mail.stop();
    const emails = Array.from({ length: 9 }, (_, index) => `outage${index}@example.com`);
    const answers = await Promise.all(emails.map((email, index) => signUp(instances[index % 3]!, email)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      emails.map(() => 200),
    );
    assert.equal(await queued(), emails.length);
    // Every email tried and refused before the mail server is back, so what follows is delivery
    // after failures: a fixed pause could end before a loaded machine's instances had tried.
    await until('every queued email tried while SMTP is down', async () => {
      const untried = await db.query('SELECT count(*) AS n FROM mail WHERE attempts = 0');
      return Number(untried.rows[0].n) === 0;
    });
    await mail.restart();
    await until('every queued email delivered', async () => emails.every((email) => mailsTo(email) >= 1));
    await until('the queue empty', async () => (await queued()) === 0);
    await sleep(1_000); // room for a duplicate to show up
    assert.deepEqual(
      emails.map(mailsTo),
      emails.map(() => 1),
    );
  });

  test('kill -9 of one instance in a burst of sign-ups: no acknowledged sign-up lost, no claimed mail unsent', async () => {
    // A slow mail server, so the instances hold claims when one of them dies.
    mail.delayMs = 400;
    const victim = instances[2]!;
    const emails = Array.from({ length: 24 }, (_, index) => `burst${index}@example.com`);
    const acknowledged: string[] = [];
    let claimedAtKill: string[] = [];
    const burst = emails.map(async (email, index) => {
      await sleep(index * 40);
      const answer = await signUp(instances[index % 3]!, email).catch(() => null);
      if (answer?.status === 200) acknowledged.push(email);
      else assert.ok(index % 3 === 2, `${email} on a live instance: ${answer?.status}`);
    });
    const kill = (async () => {
      await until('the victim holding claimed mail', async () => {
        const held = await db.query(
          'SELECT recipient FROM mail WHERE claim IS NOT NULL AND claimed_until > now() AND recipient = ANY($1)',
          [emails.filter((_, index) => index % 3 === 2)],
        );
        return held.rowCount! > 0;
      });
      await stopServerProcess(victim, true);
      const held = await db.query(
        'SELECT recipient FROM mail WHERE claim IS NOT NULL AND claimed_until > now()',
      );
      claimedAtKill = held.rows.map((row: { recipient: string }) => row.recipient);
    })();
    await Promise.all([...burst, kill]);
    mail.delayMs = 0;
    assert.ok(claimedAtKill.length > 0, 'mail was claimed when the instance died');

    const stored = await db.query('SELECT email FROM users WHERE email = ANY($1)', [acknowledged]);
    assert.equal(stored.rowCount, acknowledged.length, 'every acknowledged sign-up is in the database');
    // The survivors send what the dead instance had claimed once its lease runs out.
    await until(
      'every acknowledged sign-up mailed',
      () => acknowledged.every((email) => mailsTo(email) >= 1),
      CLAIM_SECONDS * 1000 + 15_000,
    );
    await until('the queue empty', async () => (await queued()) === 0);
    for (const email of claimedAtKill) assert.ok(mailsTo(email) >= 1, `${email} was claimed and sent`);
  });
});
