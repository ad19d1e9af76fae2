import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { bcryptCost } from '../../server/auth/admin-rehash.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { jsonOf, runAdmin } from './run-admin.js';

/**
 * Issue 18.2 and 18.4: a LoopBack 3 app's data, written afresh by LoopBack 3 itself
 * (test/fixtures/lb3/make-lb3-data.cjs: the checked-in copy's tokens expire), imported with the
 * CLI, then every imported user logs in over HTTP with the password they had, and every live
 * token a LoopBack 3 client holds still opens GET /api/users/me.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/lb3');

type Account = { email: string; username?: string; password: string; verified: boolean };
type ManifestToken = { id: string; userId: number; ttl: number; live: boolean; scopes?: string[] };
type Manifest = { users: { id: number; email: string }[]; tokens: ManifestToken[] };
type Summary = {
  dryRun: boolean;
  malformed: number;
  users: { read: number; imported: number; unchanged: number; skipped: number };
  tokens: { read: number; imported: number; expired: number; resetScoped: number; skipped: number };
  problems: { where: string; reason: string }[];
};

let sink: SmtpSink;
let dir: string;
let lb3File: string;
let manifest: Manifest;
let accounts: Account[];
let env: Record<string, string>;

before(async () => {
  sink = await startSmtpSink();
  dir = await mkdtemp(path.join(tmpdir(), 'kum-lb3i-'));
  const { stdout } = await promisify(execFile)(process.execPath, [
    path.join(FIXTURES, 'make-lb3-data.cjs'),
    dir,
  ]);
  manifest = JSON.parse(stdout) as Manifest;
  lb3File = path.join(dir, 'db.json');
  accounts = (
    JSON.parse(await readFile(path.join(FIXTURES, 'accounts.json'), 'utf8')) as { users: Account[] }
  ).users;
  env = { DB_FILE: path.join(dir, 'app', 'db.json'), SMTP_URL: sink.url };
});
after(async () => {
  await sink.close();
  await rm(dir, { recursive: true, force: true });
});

async function post(app: TestApp, body: Record<string, string>) {
  const response = await fetch(new URL('/api/users/login', app.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { id?: string; error?: { code?: string } },
  };
}

const reusable = (token: ManifestToken) => token.live && !token.scopes?.includes('reset-password');

test('import lb3: a dry run writes nothing; the import keeps ids, skips the case duplicate, takes live tokens', async () => {
  const dry = jsonOf<Summary>(await runAdmin(['import', 'lb3', lb3File, '--dry-run', '--json'], env));
  assert.equal(dry.dryRun, true);
  assert.equal(dry.users.imported, 7);
  const still = jsonOf<unknown[]>(await runAdmin(['users', 'list', '--json'], env));
  assert.deepEqual(still, [], 'a dry run imports nothing');

  const human = await runAdmin(['import', 'lb3', lb3File], env);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /Users: {2}8 read, 7 imported, 0 already here, 1 skipped/);
  assert.match(human.stdout, /user 4 +email is user 3's address in other case/);
  assert.doesNotMatch(human.stdout, /\$2[ab]\$/, 'no hash in the report');
  for (const token of manifest.tokens)
    assert.equal(human.stdout.includes(token.id), false, 'no token in the report');

  const again = jsonOf<Summary>(await runAdmin(['import', 'lb3', lb3File, '--json'], env));
  assert.deepEqual(again.users, { read: 8, imported: 0, unchanged: 7, skipped: 1 }, 'idempotent');
});

test('every imported user logs in with the original password, and every live token works', async () => {
  const app = await startApp({ dir: path.join(dir, 'app'), mail: sink });
  try {
    const wrong = await post(app, { email: 'alice@example.com', password: 'not alice password' });
    assert.equal(wrong.body.error?.code, 'LOGIN_FAILED');
    for (const account of accounts) {
      const id = manifest.users.find((user) => user.email === account.email)?.id;
      if (id === 4) continue; // the second Carol: skipped as a duplicate of user 3's address
      const answer = await post(app, { email: account.email, password: account.password });
      if (account.verified) {
        assert.equal(answer.status, 200, `${account.email} logs in`);
        const me = await fetch(new URL('/api/users/me', app.url), {
          headers: { authorization: answer.body.id ?? '' },
        });
        assert.equal(((await me.json()) as { id: number }).id, id, 'the id LoopBack 3 gave is kept');
      } else {
        // The right password, on an address LoopBack 3 had not verified either.
        assert.equal(answer.body.error?.code, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED', account.email);
      }
    }
    assert.equal((await post(app, { username: 'bob', password: 'bob-password-2017' })).status, 200);

    for (const token of manifest.tokens) {
      const response = await fetch(new URL('/api/users/me', app.url), {
        headers: { authorization: `Bearer ${Buffer.from(token.id).toString('base64')}` },
      });
      const body = (await response.json()) as { id?: number };
      if (reusable(token)) {
        assert.equal(response.status, 200, `user ${token.userId}'s token`);
        assert.equal(body.id, token.userId);
      } else assert.equal(response.status, 401, 'expired and reset-scoped tokens are not imported');
    }

    // Frank's $2b$ hash at cost 12 was redone at BCRYPT_ROUNDS (4) by his login.
    const frank = await app.store.findUserById(8);
    assert.equal(bcryptCost(frank?.passwordHash ?? ''), 4);

    // Through the running server now: still nothing to do, and new ids carry on past LoopBack 3's.
    const again = jsonOf<Summary>(await runAdmin(['import', 'lb3', lb3File, '--json'], env));
    assert.equal(again.users.unchanged, 7);
    const created = jsonOf<{ id: number }>(
      await runAdmin(['users', 'create', '--email', 'after@example.com', '--verified', '--json'], env, {
        stdin: 'a long enough new password',
      }),
    );
    assert.ok(created.id >= 9, `id ${created.id} is not one LoopBack 3 gave`);
  } finally {
    await app.stop();
  }
});

test('import lb3: a file that is not LoopBack 3 data fails with one line, exit 1', async () => {
  const run = await runAdmin(['import', 'lb3', path.join(FIXTURES, 'README.md')], env);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /the file is not JSON/);
  const missing = await runAdmin(['import', 'lb3', path.join(dir, 'nope.json')], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read .*nope\.json \(ENOENT\)/);
});
