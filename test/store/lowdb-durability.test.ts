import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createLowdbStore } from '../../server/store/lowdb.js';
import { StoreCorruptError, type TokenRecord, type UserRecord } from '../../server/store/store.js';
import { FormClient } from '../helpers/browser.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

function user(id: string, email = `${id}@example.com`): UserRecord {
  return {
    id,
    email,
    username: null,
    passwordHash: '$2b$04$abcdefghijklmnopqrstuu5JrDQp0N4xm3m1W1q0QyG4I6xkq3Jxq',
    emailVerified: false,
    created: '2026-01-01T00:00:00.000Z',
    passwordChanged: '2026-01-01T00:00:00.000Z',
  };
}

function token(hash: string, userId: string): TokenRecord {
  return { hash, userId, kind: 'access', created: '2026-01-01T00:00:00.000Z', ttl: 60 };
}

/** Every file of the store in `dir`, name → content: what "left untouched" is checked against. */
async function filesIn(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir)).sort();
  return new Map(
    await Promise.all(
      names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as const),
    ),
  );
}

async function journalNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.journal.')).sort();
}

describe('lowdb store durability', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kum-durable-'));
    file = path.join(dir, 'db.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // Opening a second store on the same files without closing the first is what a restart after
  // kill -9 sees: only what reached the disk, nothing the first process still held in memory.
  const afterCrash = () => createLowdbStore(file);

  test('a change committed while another is being written is not lost', async () => {
    const store = await createLowdbStore(file);
    // The first commit starts the write at once; the second arrives while it is in flight.
    const first = store.commit([{ type: 'putUser', user: user('first') }]);
    const second = store.commit([{ type: 'putUser', user: user('second') }]);
    await Promise.all([first, second]);

    const [journal] = await journalNames(dir);
    const entries = (await readFile(path.join(dir, journal!), 'utf8')).trim().split('\n');
    assert.equal(entries.length, 2, 'the second change rode on its own write, after the first');

    const reopened = await afterCrash();
    assert.ok(await reopened.findUserById('first'));
    assert.ok(await reopened.findUserById('second'));
    await reopened.close();
    await store.close();
  });

  test('changes arriving during a write go to disk together in the next one (group commit)', async () => {
    const store = await createLowdbStore(file);
    const commits = Array.from({ length: 50 }, (_, index) =>
      store.commit([{ type: 'putUser', user: user(`u${index}`) }]),
    );
    await Promise.all(commits);
    const [journal] = await journalNames(dir);
    const entries = (await readFile(path.join(dir, journal!), 'utf8')).trim().split('\n');
    assert.equal(entries.length, 2, 'one write for the first, one for the 49 that waited');

    const reopened = await afterCrash();
    for (let index = 0; index < 50; index++) assert.ok(await reopened.findUserById(`u${index}`));
    await reopened.close();
    await store.close();
  });

  test('a change committed while the snapshot is being rewritten is kept, across a crash and a clean stop', async () => {
    const store = await createLowdbStore(file);
    await store.commit([{ type: 'putUser', user: user('before') }]);
    const compacting = store.compact();
    await store.commit([{ type: 'putUser', user: user('during') }]);
    await compacting;

    const crashed = await afterCrash();
    assert.ok(await crashed.findUserById('before'));
    assert.ok(await crashed.findUserById('during'));
    await crashed.close();

    await store.close();
    const restarted = await createLowdbStore(file);
    assert.ok(await restarted.findUserById('during'));
    await restarted.close();
  });

  test('a clean stop leaves one self-contained lowdb JSON file and no journal', async () => {
    const store = await createLowdbStore(file);
    await store.commit([
      { type: 'putUser', user: user('kept') },
      { type: 'putToken', token: token('a'.repeat(64), 'kept') },
    ]);
    await store.close();
    assert.deepEqual(await readdir(dir), ['db.json']);
    const data = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(data.version, 1);
    assert.deepEqual(
      data.users.map((record: UserRecord) => record.id),
      ['kept'],
    );
    assert.equal(data.tokens.length, 1);
  });

  test('a write torn by a crash (an unfinished last line) is ignored, and later writes are not buried behind it', async () => {
    const store = await createLowdbStore(file);
    await store.commit([{ type: 'putUser', user: user('acknowledged') }]);
    const [journal] = await journalNames(dir);
    await appendFile(path.join(dir, journal!), '{"seq":2,"changes":[{"type":"putUser","user":{"id":"to');

    const afterTear = await afterCrash();
    assert.ok(await afterTear.findUserById('acknowledged'));
    await afterTear.commit([{ type: 'putUser', user: user('next') }]);
    // Crash again: the torn line now sits before the new write, in an older file.
    const again = await afterCrash();
    assert.ok(await again.findUserById('acknowledged'));
    assert.ok(await again.findUserById('next'));
    await again.close();
    await afterTear.close();
    await store.close();
  });

  test('a corrupt journal line followed by others is refused at start, and no file is touched', async () => {
    const store = await createLowdbStore(file);
    await store.commit([{ type: 'putUser', user: user('one') }]);
    await store.commit([{ type: 'putUser', user: user('two') }]);
    const [journal] = await journalNames(dir);
    const journalFile = path.join(dir, journal!);
    const text = await readFile(journalFile, 'utf8');
    await writeFile(journalFile, text.replace('"one"', '"one'));
    const before = await filesIn(dir);

    await assert.rejects(createLowdbStore(file), StoreCorruptError);
    assert.deepEqual(await filesIn(dir), before);
    await store.close().catch(() => undefined);
  });

  test('a missing journal entry (a gap in the sequence) is refused at start', async () => {
    await writeFile(file, '{"version":1,"seq":0,"users":[],"tokens":[],"mails":[]}\n');
    const entry = (seq: number, id: string) =>
      `${JSON.stringify({ seq, changes: [{ type: 'putUser', user: user(id) }] })}\n`;
    await writeFile(`${file}.journal.1`, entry(1, 'a') + entry(3, 'c') + entry(4, 'd'));
    const before = await filesIn(dir);
    await assert.rejects(createLowdbStore(file), /entry 3 where 2 was expected/);
    assert.deepEqual(await filesIn(dir), before);
  });

  test('journal entries the snapshot already holds are skipped, never applied twice', async () => {
    // A compaction renamed its snapshot (seq 2) and crashed before deleting the old journal.
    await writeFile(
      file,
      `${JSON.stringify({ version: 1, seq: 2, users: [user('kept')], tokens: [], mails: [] })}\n`,
    );
    const entry = (seq: number, changes: object[]) => `${JSON.stringify({ seq, changes })}\n`;
    await writeFile(
      `${file}.journal.1`,
      entry(1, [{ type: 'putUser', user: user('deleted-later') }]) +
        entry(2, [
          { type: 'deleteUser', userId: 'deleted-later' },
          { type: 'putUser', user: user('kept') },
        ]),
    );
    await writeFile(`${file}.journal.2`, entry(3, [{ type: 'putUser', user: user('after') }]));
    const store = await createLowdbStore(file);
    assert.ok(await store.findUserById('kept'));
    assert.ok(await store.findUserById('after'));
    assert.equal(await store.findUserById('deleted-later'), null);
    await store.close();
    assert.deepEqual(await readdir(dir), ['db.json']);
  });

  test('the store compacts on its own once the journal grows, and loses nothing doing it', async () => {
    const store = await createLowdbStore(file, { compactAfterBytes: 2000 });
    for (let index = 0; index < 40; index++) {
      await store.commit([{ type: 'putUser', user: user(`grow${index}`) }]);
    }
    // Compaction runs beside the commits; wait (without a deadline on its speed) until it lands.
    const snapshotSeq = async () =>
      JSON.parse(await readFile(file, 'utf8').catch(() => '{"seq":0}')).seq as number;
    while ((await snapshotSeq()) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const crashed = await afterCrash();
    for (let index = 0; index < 40; index++) assert.ok(await crashed.findUserById(`grow${index}`));
    await crashed.close();
    await store.close();
  });

  test('sweeping 12,000 expired tokens deletes them all, durably, in bounded writes', async () => {
    const store = await createLowdbStore(file);
    await store.commit([{ type: 'putUser', user: user('owner') }]);
    const hashes = Array.from({ length: 12_000 }, (_, index) => index.toString(16).padStart(64, '0'));
    await store.commit(hashes.map((hash) => ({ type: 'putToken' as const, token: token(hash, 'owner') })));
    await store.compact();
    assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T00:00:59.000Z')), 0);
    assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T00:01:01.000Z')), 12_000);
    const [journal] = await journalNames(dir);
    const entries = (await readFile(path.join(dir, journal!), 'utf8')).trim().split('\n');
    assert.ok(entries.length >= 12, 'one bounded entry per batch of deletions, not one huge line');
    const crashed = await afterCrash();
    assert.deepEqual(await crashed.listUserTokens('owner'), []);
    await crashed.close();
    await store.close();
  });
});

describe('the server process and the store', () => {
  test('concurrent sign-ups are all on disk once answered: kill -9 loses none of them', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kum-signups-'));
    const dbFile = path.join(dir, 'db.json');
    const mail = await startSmtpSink();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: '0',
        BCRYPT_ROUNDS: '4',
        RATE_LIMITS: 'off',
        DB_FILE: dbFile,
        SMTP_URL: mail.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const found = /listening on (http:\/\/\S+)/.exec(output);
          if (found?.[1]) resolve(found[1]);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      const emails = Array.from({ length: 24 }, (_, index) => `concurrent${index}@example.com`);
      const statuses = await Promise.all(
        emails.map(async (email) => {
          const browser = new FormClient(url);
          await browser.get('/');
          const page = await browser.post('/signup', { email, password: 'correct horse battery staple' });
          return page.status;
        }),
      );
      assert.deepEqual(
        statuses,
        emails.map(() => 200),
      );
      child.kill('SIGKILL');
      await once(child, 'exit');

      const store = await createLowdbStore(dbFile);
      for (const email of emails) assert.ok(await store.findUserByEmail(email), `${email} was lost`);
      await store.close();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await mail.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
