import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startApp, type TestApp } from '../helpers/app.js';
import { type PostgresServer, usePostgres } from '../helpers/postgres.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { type AdminRun, jsonOf, runAdmin } from './run-admin.js';

/**
 * The admin CLI (issue 18) on PostgreSQL: it opens the database beside the running instances (no
 * socket, no lock), so what it writes is what every instance's next read sees; and with none
 * running it works the same. Every command runs here once as a child process, and a LoopBack 3
 * data file (written by LoopBack 3 itself) is imported, its users logging in and its live tokens
 * working on every instance.
 */

const PASSWORD = 'a long enough admin password';
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/lb3');
type Shown = { id: number; email: string; emailVerified: boolean; disabled: boolean };

let server: PostgresServer;
let sink: SmtpSink;
let dir: string;

before(async () => {
  server = await usePostgres();
  sink = await startSmtpSink();
  dir = await mkdtemp(path.join(tmpdir(), 'kum-admin-pg-'));
});
after(async () => {
  await sink.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Two instances on one fresh database, and the CLI's environment for it. */
async function twoInstances(databaseUrl: string): Promise<[TestApp, TestApp]> {
  const appEnv = { DATABASE_URL: databaseUrl, APP_URL: 'http://app.test' };
  const one = await startApp({ dir: await mkdtemp(path.join(dir, 'a-')), mail: sink, env: appEnv });
  const two = await startApp({ dir: await mkdtemp(path.join(dir, 'b-')), mail: sink, env: appEnv });
  return [one, two];
}

const cliEnv = (databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  SMTP_URL: sink.url,
  APP_URL: 'http://app.test',
  // Never read on PostgreSQL: a lowdb file here would mean the CLI picked the wrong store.
  DB_FILE: path.join(dir, 'unused', 'db.json'),
});

async function logIn(app: TestApp, body: Record<string, string>) {
  const response = await fetch(new URL('/api/users/login', app.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: unknown } };
}

async function me(app: TestApp, authorization: string): Promise<{ status: number; id?: number }> {
  const response = await fetch(new URL('/api/users/me', app.url), { headers: { authorization } });
  const body = (await response.json()) as { id?: number };
  return { status: response.status, ...(body.id === undefined ? {} : { id: body.id }) };
}

function succeeded(run: AdminRun): AdminRun {
  assert.equal(run.status, 0, run.stderr);
  return run;
}

test('beside two running instances: every users and sessions command, and export', async (t) => {
  const database = await server.createDatabase();
  const [one, two] = await twoInstances(database.url);
  t.after(async () => {
    await one.stop();
    await two.stop();
    await database.drop();
  });
  const env = cliEnv(database.url);

  const created = jsonOf<Shown>(
    await runAdmin(['users', 'create', '--email', 'pg@example.com', '--verified', '--json'], env, {
      stdin: PASSWORD,
    }),
  );
  const first = await logIn(one, { email: 'pg@example.com', password: PASSWORD });
  assert.equal(first.status, 200);
  const token = first.body.id as string;
  assert.equal((await me(two, token)).status, 200);

  // Disabled: both instances refuse the token on their next request, and the login answer is
  // the same as a wrong password's.
  const wrong = await logIn(two, { email: 'pg@example.com', password: 'not the password at all' });
  assert.equal(
    jsonOf<Shown>(await runAdmin(['users', 'disable', 'pg@example.com', '--json'], env)).disabled,
    true,
  );
  assert.equal((await me(one, token)).status, 401);
  assert.equal((await me(two, token)).status, 401);
  const refused = await logIn(one, { email: 'pg@example.com', password: PASSWORD });
  assert.deepEqual([refused.status, refused.body], [wrong.status, wrong.body]);
  assert.equal(
    jsonOf<Shown>(await runAdmin(['users', 'enable', 'pg@example.com', '--json'], env)).disabled,
    false,
  );

  // Two sessions, one on each instance, both shown, both ended by one command.
  const a = (await logIn(one, { email: 'pg@example.com', password: PASSWORD })).body.id as string;
  const b = (await logIn(two, { email: 'pg@example.com', password: PASSWORD })).body.id as string;
  const shown = jsonOf<Shown & { sessions: unknown[] }>(
    await runAdmin(['users', 'show', String(created.id), '--json'], env),
  );
  assert.deepEqual([shown.email, shown.sessions.length], ['pg@example.com', 2]);
  assert.equal(
    jsonOf<{ revoked: number }>(await runAdmin(['sessions', 'revoke', 'pg@example.com', '--json'], env))
      .revoked,
    2,
  );
  assert.deepEqual([(await me(one, b)).status, (await me(two, a)).status], [401, 401]);

  // Commands that do not depend on each other run side by side (each CLI run starts a process).
  // The two reset links do depend on each other: a new reset link replaces the last one, and mail
  // whose link died is dropped, so the mailed one must be made after the printed one.
  const file = path.join(dir, 'export.json');
  const [invited, printed] = await Promise.all([
    runAdmin(['users', 'create', '--email', 'New@Example.com', '--invite'], env),
    runAdmin(['users', 'reset-link', 'pg@example.com', '--print'], env),
  ]);
  const mailed = await runAdmin(['users', 'reset-link', 'pg@example.com'], env);
  [invited, printed, mailed].forEach(succeeded);
  // Each email is sent once, by the CLI or an instance: whichever claims it first.
  assert.equal((await sink.waitFor('New@Example.com')).subject, 'You are invited: choose your password');
  assert.equal((await sink.waitFor('pg@example.com')).subject, 'Reset your password');
  assert.match(printed.stdout, /^http:\/\/app\.test\/reset-password\?access_token=[A-Za-z0-9_-]{64}\n$/);
  const activity = await one.store.listActivity(created.id, { limit: 20 });
  assert.ok(activity.some((entry) => entry.type === 'reset-link-printed'));

  const [unverified, exportRun] = await Promise.all([
    runAdmin(['users', 'list', '--unverified', '--json'], env),
    runAdmin(['export', file], env),
  ]);
  assert.deepEqual(
    jsonOf<Shown[]>(unverified).map((user) => user.email),
    ['New@Example.com'],
  );
  succeeded(exportRun);
  const exported = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>[];
  assert.deepEqual(
    exported.map((user) => user.email),
    ['pg@example.com', 'New@Example.com'],
  );
  assert.equal(
    exported.some((user) => 'password' in user),
    false,
    'no hashes unless asked',
  );
  assert.equal((await stat(file)).mode & 0o777, 0o600);

  assert.equal(
    jsonOf<Shown>(await runAdmin(['users', 'verify', 'new@example.com', '--json'], env)).emailVerified,
    true,
  );
  assert.equal((await one.store.findUserByEmailKey('new@example.com'))?.emailVerified, true);
  succeeded(await runAdmin(['users', 'delete', 'new@example.com'], env));
  assert.equal(await two.store.findUserByEmailKey('new@example.com'), null);
});

type ManifestToken = { id: string; userId: number; live: boolean; scopes?: string[] };
type Account = { email: string; password: string; verified: boolean };
type Summary = {
  dryRun: boolean;
  users: { read: number; imported: number; unchanged: number; skipped: number };
};

test('import lb3 with no instance running, then its users and live tokens work on both instances', async (t) => {
  const database = await server.createDatabase();
  const running: TestApp[] = [];
  // The instances stop before their database is dropped (dropping ends their connections).
  t.after(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await database.drop();
  });
  const env = cliEnv(database.url);
  // Written afresh by LoopBack 3 itself, so its tokens are live (the checked-in copy's expire).
  const lb3Dir = await mkdtemp(path.join(dir, 'lb3-'));
  const { stdout } = await promisify(execFile)(process.execPath, [
    path.join(FIXTURES, 'make-lb3-data.cjs'),
    lb3Dir,
  ]);
  const manifest = JSON.parse(stdout) as { users: { id: number; email: string }[]; tokens: ManifestToken[] };
  const lb3File = path.join(lb3Dir, 'db.json');
  const accounts = (
    JSON.parse(await readFile(path.join(FIXTURES, 'accounts.json'), 'utf8')) as { users: Account[] }
  ).users;

  const dry = jsonOf<Summary>(await runAdmin(['import', 'lb3', lb3File, '--dry-run', '--json'], env));
  assert.deepEqual([dry.dryRun, dry.users.imported], [true, 7]);
  const human = succeeded(await runAdmin(['import', 'lb3', lb3File], env));
  assert.match(human.stdout, /Users: {2}8 read, 7 imported, 0 already here, 1 skipped/);

  const [one, two] = await twoInstances(database.url);
  running.push(one, two);
  for (const account of accounts.filter((row) => row.verified)) {
    const id = manifest.users.find((user) => user.email === account.email)?.id;
    if (id === 4) continue; // the second Carol: skipped as a duplicate of user 3's address
    const answer = await logIn(two, { email: account.email, password: account.password });
    assert.equal(answer.status, 200, `${account.email} logs in`);
    assert.equal((await me(one, answer.body.id ?? '')).id, id, 'the id LoopBack 3 gave is kept');
  }
  for (const token of manifest.tokens) {
    const authorization = `Bearer ${Buffer.from(token.id).toString('base64')}`;
    const answers = [await me(one, authorization), await me(two, authorization)];
    const expected = token.live && !token.scopes?.includes('reset-password') ? [200, 200] : [401, 401];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      expected,
      `user ${token.userId}'s token`,
    );
  }

  // Again, beside the running instances: nothing to do, and new ids carry on past LoopBack 3's.
  const again = jsonOf<Summary>(await runAdmin(['import', 'lb3', lb3File, '--json'], env));
  assert.deepEqual(again.users, { read: 8, imported: 0, unchanged: 7, skipped: 1 });
  const signUp = await fetch(new URL('/api/users', one.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email: 'after@example.com', password: PASSWORD }),
  });
  assert.equal(signUp.status, 200);
  assert.ok(((await signUp.json()) as { id: number }).id >= 9);
});
