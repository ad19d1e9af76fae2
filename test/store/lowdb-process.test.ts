import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLowdbStore } from '../../server/store/lowdb.js';
import { FormClient } from '../helpers/browser.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { startServerProcess, stopServerProcess } from './server-process.js';

const PASSWORD = 'correct horse battery staple';

async function signUp(url: string, email: string): Promise<{ status: number; html: string }> {
  const browser = new FormClient(url);
  await browser.get('/');
  return browser.post('/signup', { email, password: PASSWORD });
}

/** Waits (with no deadline of its own: the test runner's timeout bounds it) until `check` holds. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

const usersIn = async (file: string): Promise<string[]> =>
  (JSON.parse(await readFile(file, 'utf8')).users as Array<{ email: string }>).map((user) => user.email);

test('DB_FILE exists from the first start and holds every user within seconds of the last write', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-live-'));
  const dbFile = path.join(dir, 'db.json');
  const mail = await startSmtpSink();
  const server = await startServerProcess({ DB_FILE: dbFile, SMTP_URL: mail.url });
  try {
    assert.deepEqual(await usersIn(dbFile), [], 'a valid, empty snapshot before any request');
    assert.equal((await signUp(server.url, 'live@example.com')).status, 200);
    await eventually(async () => (await usersIn(dbFile)).includes('live@example.com'));
    const data = JSON.parse(await readFile(dbFile, 'utf8'));
    assert.equal(data.users[0].id, 1);
  } finally {
    await stopServerProcess(server);
    await mail.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('concurrent sign-ups are all on disk once answered: kill -9 loses none of them', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-signups-'));
  const dbFile = path.join(dir, 'db.json');
  const mail = await startSmtpSink();
  const server = await startServerProcess({ DB_FILE: dbFile, SMTP_URL: mail.url });
  try {
    const emails = Array.from({ length: 24 }, (_, index) => `concurrent${index}@example.com`);
    const statuses = await Promise.all(emails.map(async (email) => (await signUp(server.url, email)).status));
    assert.deepEqual(
      statuses,
      emails.map(() => 200),
    );
    await stopServerProcess(server, true);
    // The killed process's lock names a dead PID: it is taken over.
    const store = await createLowdbStore(dbFile);
    for (const email of emails) assert.ok(await store.findUserByEmailKey(email), `${email} was lost`);
    await store.close();
  } finally {
    await stopServerProcess(server, true);
    await mail.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a full disk: the request gets a clear 5xx, the process stops, and a restart serves every acknowledged change', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-full-'));
  const disk = path.join(dir, 'disk');
  await mkdir(disk);
  // A real write failure needs a real small disk. This runs as root (the test machines do): if
  // the mount is impossible the test fails here, loudly, rather than skip.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
  const mail = await startSmtpSink();
  const env = {
    DB_FILE: path.join(disk, 'db.json'),
    SMTP_URL: mail.url,
    EMAIL_VERIFICATION_REQUIRED: 'false',
    LOG_LEVEL: 'fatal',
  };
  try {
    const first = await startServerProcess(env);
    const acknowledged: string[] = [];
    for (let index = 0; index < 3; index++) {
      const email = `kept${index}@example.com`;
      assert.equal((await signUp(first.url, email)).status, 200);
      acknowledged.push(email);
      await mail.waitFor(email);
    }
    // Quiet now: once DB_FILE is rewritten the journal files are gone, so the next write must
    // create a new one and take a fresh page of the disk — which is then full. Quiet also means
    // DB_FILE holds no queued mail: each delivery is recorded just after the mail arrives, and
    // on a slow machine that record could come after a rewrite and be the write the full disk refuses.
    await eventually(async () => {
      if ((await readdir(disk)).some((name) => name.includes('.journal.'))) return false;
      return JSON.parse(await readFile(env.DB_FILE, 'utf8')).mails.length === 0;
    });
    await writeFile(path.join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch(
      (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ENOSPC');
      },
    );
    const refused = await signUp(first.url, 'lost@example.com');
    assert.equal(refused.status, 503, 'a 503 (the store is unavailable), never a 500');
    assert.doesNotMatch(refused.html, /\n\s+at |ENOSPC|journal/, 'no stack trace or internals in the answer');
    assert.notEqual(await first.exited, 0, 'the process stops, with a failure code');
    assert.match(first.output(), /the store cannot write/);

    await rm(path.join(disk, 'filler'));
    const second = await startServerProcess(env);
    try {
      for (const email of acknowledged) {
        const browser = new FormClient(second.url);
        await browser.get('/');
        assert.equal(
          (await browser.post('/login', { email, password: PASSWORD })).status,
          303,
          `${email} survived`,
        );
      }
    } finally {
      await stopServerProcess(second);
    }
  } finally {
    await mail.close();
    execFileSync('umount', [disk]);
    await rm(dir, { recursive: true, force: true });
  }
});
