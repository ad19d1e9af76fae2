import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { type AdminRun, jsonOf, runAdmin } from './run-admin.js';

/**
 * The admin CLI (issue 18.1) as child processes: against a stopped store (the CLI takes DB_FILE's
 * lock and delivers its own mail) and against a running server (through its admin socket), where
 * what it changes must hold in the server at once.
 */

const PASSWORD = 'a long enough admin password';
type Shown = { id: number; email: string; emailVerified: boolean; disabled: boolean };

let sink: SmtpSink;
let dir: string;
let env: Record<string, string>;

before(async () => {
  sink = await startSmtpSink();
  dir = await mkdtemp(path.join(tmpdir(), 'kum-admin-'));
  env = { DB_FILE: path.join(dir, 'db.json'), SMTP_URL: sink.url, APP_URL: 'http://app.test' };
});
after(async () => {
  await sink.close();
  await rm(dir, { recursive: true, force: true });
});

async function logIn(app: TestApp, email: string, password: string) {
  const response = await fetch(new URL('/api/users/login', app.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: unknown } };
}

async function me(app: TestApp, token: string): Promise<number> {
  const response = await fetch(new URL('/api/users/me', app.url), { headers: { authorization: token } });
  await response.arrayBuffer();
  return response.status;
}

function failedWith(run: AdminRun, status: number, pattern: RegExp): void {
  assert.equal(run.status, status, run.stderr);
  assert.match(run.stderr, pattern);
  assert.equal(run.stderr.trim().split('\n').length <= 2, true, 'a short reason, not a stack');
}

test('usage: --help exits 0, a bad command or a password argument exits 2 with one line', async () => {
  const help = await runAdmin(['--help'], env);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /users create/);
  assert.match((await runAdmin(['users', 'create', '--help'], env)).stdout, /standard input/);
  failedWith(await runAdmin(['users', 'frob'], env), 2, /unknown command 'users frob'/);
  failedWith(
    await runAdmin(['users', 'create', '--email', 'x@example.com', '--password', 'secret'], env),
    2,
    /no --password/,
  );
});

test('with no server running: create (password on stdin), show, list, verify, reset links, delete', async () => {
  const created = await runAdmin(
    ['users', 'create', '--email', 'Ann@Example.com', '--username', 'ann', '--json'],
    env,
    {
      stdin: `${PASSWORD}\n`,
    },
  );
  const ann = jsonOf<Shown>(created);
  assert.equal(ann.email, 'Ann@Example.com');
  assert.equal(ann.emailVerified, false);
  // The CLI delivered the verification email itself: no server was there to do it.
  assert.match((await sink.waitFor('Ann@Example.com')).text, /\/verify\?uid=/);

  failedWith(
    await runAdmin(['users', 'create', '--email', 'ann@example.com'], env, { stdin: `${PASSWORD}\n` }),
    1,
    /email: is taken/,
  );
  failedWith(
    await runAdmin(['users', 'create', '--email', 'b@example.com'], env, { stdin: 'short\n' }),
    1,
    /password: is too short/,
  );
  failedWith(await runAdmin(['users', 'create', '--email', 'b@example.com'], env), 1, /no password/);

  const shown = jsonOf<Shown & { sessions: unknown[] }>(
    await runAdmin(['users', 'show', 'ANN@example.com', '--json'], env),
  );
  assert.equal(shown.id, ann.id);
  assert.deepEqual(shown.sessions, []);
  assert.equal((await runAdmin(['users', 'show', String(ann.id), '--json'], env)).status, 0);
  failedWith(await runAdmin(['users', 'show', 'nobody@example.com'], env), 1, /no such account/);

  const table = await runAdmin(['users', 'list', '--unverified'], env);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^ID\s+EMAIL/);
  assert.match(table.stdout, /Ann@Example\.com/);
  assert.equal(
    jsonOf<Shown>(await runAdmin(['users', 'verify', 'ann@example.com', '--json'], env)).emailVerified,
    true,
  );
  assert.deepEqual(jsonOf<Shown[]>(await runAdmin(['users', 'list', '--unverified', '--json'], env)), []);
  assert.equal(
    jsonOf<Shown[]>(await runAdmin(['users', 'list', '--search', 'ANN', '--json'], env)).length,
    1,
  );

  const printed = await runAdmin(['users', 'reset-link', 'ann@example.com', '--print'], env);
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /^http:\/\/app\.test\/reset-password\?access_token=[A-Za-z0-9_-]{64}\n$/);
  assert.equal((await runAdmin(['users', 'reset-link', 'ann@example.com'], env)).status, 0);
  const mailed = await sink.waitFor('Ann@Example.com');
  assert.equal(mailed.subject, 'Reset your password');

  const other = jsonOf<Shown>(
    await runAdmin(['users', 'create', '--email', 'gone@example.com', '--verified', '--json'], env, {
      stdin: PASSWORD,
    }),
  );
  assert.equal(other.emailVerified, true);
  assert.equal((await runAdmin(['users', 'delete', 'gone@example.com'], env)).status, 0);
  failedWith(await runAdmin(['users', 'show', String(other.id)], env), 1, /no such account/);
  // The owner is told, in the deletion's own write, without blaming a stolen password.
  const notice = await sink.waitFor('gone@example.com');
  assert.equal(notice.subject, 'Your account was deleted');
  assert.match(notice.text, /By:\s+the service's operator/);
  assert.doesNotMatch(notice.text, /someone knew your password/);
});

test('with the server running: the CLI goes through its 0600 socket and every change holds at once', async () => {
  const app = await startApp({ dir, mail: sink, env: { APP_URL: 'http://app.test' } });
  try {
    const socket = await stat(path.join(dir, '.db.json.admin.sock'));
    assert.equal(socket.mode & 0o777, 0o600);

    jsonOf<Shown>(
      await runAdmin(['users', 'create', '--email', 'live@example.com', '--verified', '--json'], env, {
        stdin: PASSWORD,
      }),
    );
    // The server holds DB_FILE's lock: the CLI's write landed in the server itself.
    const first = await logIn(app, 'live@example.com', PASSWORD);
    assert.equal(first.status, 200);
    const token = first.body.id as string;
    assert.equal(await me(app, token), 200);

    const wrong = await logIn(app, 'live@example.com', 'not the password at all');
    assert.equal(
      jsonOf<Shown>(await runAdmin(['users', 'disable', 'live@example.com', '--json'], env)).disabled,
      true,
    );
    assert.equal(await me(app, token), 401, 'every token stops working at once');
    const refused = await logIn(app, 'live@example.com', PASSWORD);
    assert.equal(refused.status, wrong.status);
    assert.deepEqual(refused.body, wrong.body, 'the same answer as a wrong password');

    assert.equal(
      jsonOf<Shown>(await runAdmin(['users', 'enable', 'live@example.com', '--json'], env)).disabled,
      false,
    );
    const again = await logIn(app, 'live@example.com', PASSWORD);
    assert.equal(again.status, 200);
    const revoked = jsonOf<{ revoked: number }>(
      await runAdmin(['sessions', 'revoke', 'live@example.com', '--json'], env),
    );
    assert.equal(revoked.revoked, 1);
    assert.equal(await me(app, again.body.id as string), 401);

    const invited = await runAdmin(['users', 'create', '--email', 'new@example.com', '--invite'], env);
    assert.equal(invited.status, 0, invited.stderr);
    const invitation = await sink.waitFor('new@example.com');
    assert.equal(invitation.subject, 'You are invited: choose your password');
    assert.ok(
      invitation.links.some((link) => link.startsWith('http://app.test/reset-password?access_token=')),
    );

    const file = path.join(dir, 'export.json');
    assert.equal((await runAdmin(['export', file], env)).status, 0);
    const exported = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>[];
    assert.deepEqual(
      exported.map((user) => user.email),
      ['Ann@Example.com', 'live@example.com', 'new@example.com'],
    );
    assert.equal(
      exported.some((user) => 'password' in user),
      false,
      'no hashes unless asked',
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await runAdmin(['export', file, '--with-password-hashes'], env)).status, 0);
    const withHashes = JSON.parse(await readFile(file, 'utf8')) as { password?: string }[];
    assert.ok(withHashes.every((user) => user.password?.startsWith('$2')));
  } finally {
    await app.stop();
  }
});
