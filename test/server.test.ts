import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FormClient } from './helpers/browser.js';
import { type SmtpSink, startSmtpSink } from './helpers/smtp-sink.js';

const PASSWORD = 'correct horse battery staple';

type Started = { child: ChildProcess; url: string; printed: (pattern: RegExp) => Promise<void> };

/** `npm start`'s own entry point (dist/, or the sources when dist/ is stale), as a separate process, so it can be killed with SIGKILL. */
async function startProcess(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', BCRYPT_ROUNDS: '4', RATE_LIMITS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  /** Resolves once the process has printed a line matching `pattern` (already or later). */
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!pattern.test(output)) return;
        child.stdout?.off('data', check);
        resolve();
      };
      child.stdout?.on('data', check);
      check();
    });
  return { child, url, printed };
}

async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('the server process', () => {
  let dir: string;
  let mail: SmtpSink;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kum-process-'));
    mail = await startSmtpSink();
  });
  after(async () => {
    await mail.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a corrupt DB_FILE stops the start with a clear message and is left untouched', async () => {
    const file = path.join(dir, 'corrupt.json');
    await writeFile(file, '{"version":1,"users":[');
    const { code, stderr } = await runToExit({ DB_FILE: file, SMTP_URL: mail.url });
    assert.equal(code, 1);
    assert.match(stderr, /Cannot start: .*corrupt\.json is not valid JSON/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for a known problem');
    assert.equal(await readFile(file, 'utf8'), '{"version":1,"users":[');
  });

  test('a bad variable stops the start and names it', async () => {
    const { code, stderr } = await runToExit({ PORT: 'eighty' });
    assert.equal(code, 1);
    assert.match(stderr, /PORT/);
  });

  test('an acknowledged sign-up survives kill -9, and so does its queued email', async () => {
    const dbFile = path.join(dir, 'killed.json');
    mail.refuse = true; // the email cannot leave before the kill
    // Verification is off so the login below proves the account survived; how a link verifies
    // (a POST since issue 10.6) is the flows' business, not this test's.
    const env = { DB_FILE: dbFile, SMTP_URL: mail.url, EMAIL_VERIFICATION_REQUIRED: 'false' };
    const first = await startProcess(env);
    const browser = new FormClient(first.url);
    await browser.get('/');
    const signed = await browser.post('/signup', { email: 'durable@example.com', password: PASSWORD });
    assert.equal(signed.status, 200);
    assert.match(signed.html, /Signed up successfully/, 'the page is the same while mail is down');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    mail.refuse = false;
    const second = await startProcess(env);
    try {
      const verification = await mail.waitFor('durable@example.com');
      const link = verification.links.find((candidate) => candidate.includes('/verify?'))!;
      const secret = new URL(link).searchParams.get('token')!;
      for (const name of await readdir(dir)) {
        if (!name.startsWith('killed')) continue;
        const content = await readFile(path.join(dir, name), 'utf8');
        assert.ok(!content.includes(secret), `${name} holds no token secret, even for mail that waited`);
      }
      const again = new FormClient(second.url);
      await again.get('/');
      assert.equal(
        (await again.post('/login', { email: 'durable@example.com', password: PASSWORD })).status,
        303,
      );
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});

describe('the data lock (one process per DB_FILE)', () => {
  test('a second server on the same folder refuses to start, naming the file and the PID; the first loses nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-lock-'));
    const mail = await startSmtpSink();
    const env = {
      DB_FILE: path.join(dir, 'db.json'),
      SMTP_URL: mail.url,
      EMAIL_VERIFICATION_REQUIRED: 'false',
    };
    const first = await startProcess(env);
    try {
      const browser = new FormClient(first.url);
      await browser.get('/');
      assert.equal(
        (await browser.post('/signup', { email: 'first@example.com', password: PASSWORD })).status,
        200,
      );
      const second = await runToExit({ ...env, BCRYPT_ROUNDS: '4', RATE_LIMITS: 'off' });
      assert.notEqual(second.code, 0);
      const lines = second.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${second.stderr}`);
      assert.match(lines[0]!, new RegExp(`db\\.json is in use by process ${first.child.pid}`));
      // The second start touched nothing: the first's acknowledged write is still there after kill -9.
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      const restarted = await startProcess(env);
      try {
        const again = new FormClient(restarted.url);
        await again.get('/');
        const login = await again.post('/login', { email: 'first@example.com', password: PASSWORD });
        assert.equal(login.status, 303, 'the stale lock of the killed server was taken over, its data kept');
      } finally {
        restarted.child.kill('SIGTERM');
        await once(restarted.child, 'exit');
      }
      assert.deepEqual(
        await readdir(dir).then((names) => names.filter((name) => name.includes('.lock'))),
        [],
      );
    } finally {
      first.child.kill('SIGKILL');
      await mail.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a lock left by a process that no longer runs is taken over', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-stale-'));
    const mail = await startSmtpSink();
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(path.join(dir, 'db.json.lock'), `${gone.pid}\n`);
    const started = await startProcess({ DB_FILE: path.join(dir, 'db.json'), SMTP_URL: mail.url });
    try {
      assert.equal(
        (await readFile(path.join(dir, 'db.json.lock'), 'utf8')).trim(),
        String(started.child.pid),
      );
    } finally {
      started.child.kill('SIGTERM');
      await once(started.child, 'exit');
      await mail.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shutting down', () => {
  test('SIGTERM lets a request under way finish before the process exits', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-shutdown-'));
    const mail = await startSmtpSink();
    const started = await startProcess({
      DB_FILE: path.join(dir, 'db.json'),
      SMTP_URL: mail.url,
      BCRYPT_ROUNDS: '12',
      LOG_LEVEL: 'debug',
    });
    try {
      const browser = new FormClient(started.url);
      await browser.get('/');
      // Cost 12 keeps the sign-up busy in bcrypt for a while after the signal arrives. The signal
      // waits for the server's own word that the request arrived: a fixed pause lost the race on a
      // loaded CI machine, and a request still in flight when the listener closes is never served.
      const signing = browser.post('/signup', { email: 'late@example.com', password: PASSWORD });
      await started.printed(/"method":"POST","path":"\/signup","msg":"request received"/);
      const exited = once(started.child, 'exit');
      started.child.kill('SIGTERM');
      const signed = await signing;
      assert.equal(signed.status, 200);
      assert.match(signed.html, /Signed up successfully/);
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    } finally {
      started.child.kill('SIGKILL');
      await mail.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('starting on a busy port', () => {
  test('says so in one line naming PORT, not a stack trace', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-busy-'));
    try {
      const { code, stderr } = await runToExit({
        PORT: String(port),
        DB_FILE: path.join(dir, 'db.json'),
        LOG_LEVEL: 'silent',
      });
      assert.equal(code, 1);
      assert.equal(
        stderr.trim(),
        `Cannot start: port ${port} is in use; set PORT to another port (PORT=0 picks any free one)`,
      );
    } finally {
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
