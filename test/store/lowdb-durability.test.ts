import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createLowdbStore, type LowdbStoreOptions } from '../../server/store/lowdb.js';
import { StoreCorruptError, type UserRecord } from '../../server/store/store.js';
import { at, newMail, newToken, newUser } from './contract-fixtures.js';

/** Every file of the store in `dir`, name → content: what "left untouched" is checked against. */
async function filesIn(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir)).sort();
  return new Map(
    await Promise.all(
      names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as const),
    ),
  );
}

async function journalLines(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.includes('.journal.')).sort();
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), 'utf8')));
  return texts.join('').trim().split('\n').filter(Boolean);
}

/** A v2 user record as the store writes it, for hand-made files. */
function record(id: number): UserRecord {
  return {
    ...newUser(`u${id}@example.com`),
    id,
    pendingEmail: null,
    pendingEmailKey: null,
    passwordChanged: newUser('x').created,
    version: 1,
  };
}

// No background compaction unless a test asks: these tests read the journal itself.
const still: LowdbStoreOptions = { quietMs: 3_600_000, maxStaleMs: 3_600_000 };

describe('lowdb store durability', () => {
  let dir: string;
  let file: string;
  let crashes: string[];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kum-durable-'));
    file = path.join(dir, 'db.json');
    crashes = [];
  });
  afterEach(async () => {
    for (const copy of [dir, ...crashes]) await rm(copy, { recursive: true, force: true });
  });

  /**
   * What a restart after kill -9 sees: only what reached the disk, nothing the process still held
   * in memory. The files are copied as they are now (the lock of the live process left out) and
   * opened in a folder of their own, since the data lock rightly refuses a second opener here.
   */
  const afterCrash = async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'kum-crashed-'));
    crashes.push(copy);
    await cp(dir, copy, { recursive: true, filter: (source) => !source.endsWith('.lock') });
    return createLowdbStore(path.join(copy, 'db.json'), still);
  };

  test('a change written while another is on its way to disk is not lost', async () => {
    const store = await createLowdbStore(file, still);
    const first = store.createUser(newUser('first@example.com'));
    const second = store.createUser(newUser('second@example.com'));
    await Promise.all([first, second]);
    assert.equal(
      (await journalLines(dir)).length,
      2,
      'the second change rode on its own write, after the first',
    );
    const reopened = await afterCrash();
    assert.ok(await reopened.findUserByEmailKey('first@example.com'));
    assert.ok(await reopened.findUserByEmailKey('second@example.com'));
    await reopened.close();
    await store.close();
  });

  test('changes arriving during a write go to disk together in the next one (group commit)', async () => {
    const store = await createLowdbStore(file, still);
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => store.createUser(newUser(`u${index}@example.com`))),
    );
    assert.equal((await journalLines(dir)).length, 2, 'one write for the first, one for the 49 that waited');
    const reopened = await afterCrash();
    for (let index = 1; index <= 50; index++) assert.ok(await reopened.findUserById(index));
    await reopened.close();
    await store.close();
  });

  test('a change made while the snapshot is being rewritten is kept, across a crash and a clean stop', async () => {
    const store = await createLowdbStore(file, still);
    await store.createUser(newUser('before@example.com'));
    const compacting = store.compact();
    await store.createUser(newUser('during@example.com'));
    await compacting;
    const crashed = await afterCrash();
    assert.ok(await crashed.findUserByEmailKey('before@example.com'));
    assert.ok(await crashed.findUserByEmailKey('during@example.com'));
    await crashed.close();
    await store.close();
    const restarted = await createLowdbStore(file);
    assert.ok(await restarted.findUserByEmailKey('during@example.com'));
    await restarted.close();
  });

  test('a clean stop leaves one self-contained lowdb JSON file, no journal and no lock', async () => {
    const store = await createLowdbStore(file, still);
    const kept = await store.createUser(newUser('kept@example.com'));
    await store.issueToken(kept.id, newToken('a'.repeat(64)));
    await store.close();
    assert.deepEqual(await readdir(dir), ['db.json']);
    const data = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(data.version, 2);
    assert.deepEqual(
      data.users.map((user: UserRecord) => user.id),
      [1],
    );
    assert.equal(data.tokens.length, 1);
    assert.equal(data.nextUserId, 2);
  });

  test('a write torn by a crash (an unfinished last line) is ignored, and later writes are not buried behind it', async () => {
    const store = await createLowdbStore(file, still);
    await store.createUser(newUser('acknowledged@example.com'));
    const [journal] = (await readdir(dir)).filter((name) => name.includes('.journal.'));
    await appendFile(path.join(dir, journal!), '{"seq":2,"changes":[{"type":"putUser","user":{"id":2');
    await store.close().catch(() => undefined);
    // The close folded the journal in; tear the next start's journal the same way instead.
    const again = await createLowdbStore(file, still);
    await again.createUser(newUser('second@example.com'));
    const [next] = (await readdir(dir)).filter((name) => name.includes('.journal.'));
    await appendFile(path.join(dir, next!), '{"seq":3,"changes":[{"type":"putUser","user":{"id":');
    const afterTear = await afterCrash();
    assert.ok(await afterTear.findUserByEmailKey('acknowledged@example.com'));
    assert.ok(await afterTear.findUserByEmailKey('second@example.com'));
    await afterTear.createUser(newUser('third@example.com'));
    await afterTear.close();
    await again.close();
  });

  test('a corrupt journal line followed by others is refused at start, and no file is touched', async () => {
    const store = await createLowdbStore(file, still);
    await store.createUser(newUser('one@example.com'));
    await store.createUser(newUser('two@example.com'));
    const [journal] = (await readdir(dir)).filter((name) => name.includes('.journal.'));
    const journalFile = path.join(dir, journal!);
    await writeFile(journalFile, (await readFile(journalFile, 'utf8')).replace('"one@example.com"', '"one'));
    const crashedDir = await mkdtemp(path.join(tmpdir(), 'kum-corrupt-journal-'));
    crashes.push(crashedDir);
    await cp(dir, crashedDir, { recursive: true, filter: (source) => !source.endsWith('.lock') });
    const before = await filesIn(crashedDir);
    await assert.rejects(createLowdbStore(path.join(crashedDir, 'db.json')), StoreCorruptError);
    assert.deepEqual(await filesIn(crashedDir), before);
    await store.close().catch(() => undefined);
  });

  test('a missing journal entry (a gap in the sequence) is refused at start', async () => {
    await writeFile(
      file,
      '{"version":2,"seq":0,"nextUserId":1,"nextMailId":1,"users":[],"tokens":[],"mails":[]}\n',
    );
    const entry = (seq: number, id: number) =>
      `${JSON.stringify({ seq, changes: [{ type: 'putUser', user: record(id) }] })}\n`;
    await writeFile(`${file}.journal.1`, entry(1, 1) + entry(3, 3) + entry(4, 4));
    const before = await filesIn(dir);
    await assert.rejects(createLowdbStore(file), /entry 3 where 2 was expected/);
    assert.deepEqual(await filesIn(dir), before);
  });

  test('a corrupt DB_FILE beside a journal is refused, and neither is touched', async () => {
    await writeFile(file, '{"version":2,"seq":0,"users":[');
    await writeFile(
      `${file}.journal.1`,
      `${JSON.stringify({ seq: 1, changes: [{ type: 'putUser', user: record(1) }] })}\n`,
    );
    const before = await filesIn(dir);
    await assert.rejects(createLowdbStore(file), StoreCorruptError);
    assert.deepEqual(await filesIn(dir), before);
  });

  test('journal entries the snapshot already holds are skipped, never applied twice', async () => {
    // A compaction renamed its snapshot (seq 2) and crashed before deleting the old journal.
    await writeFile(
      file,
      `${JSON.stringify({ version: 2, seq: 2, nextUserId: 3, nextMailId: 1, users: [record(2)], tokens: [], mails: [] })}\n`,
    );
    const entry = (seq: number, changes: object[]) => `${JSON.stringify({ seq, changes })}\n`;
    await writeFile(
      `${file}.journal.1`,
      entry(1, [{ type: 'putUser', user: record(1) }]) +
        entry(2, [
          { type: 'deleteUser', userId: 1 },
          { type: 'putUser', user: record(2) },
        ]),
    );
    await writeFile(`${file}.journal.2`, entry(3, [{ type: 'putUser', user: record(3) }]));
    const store = await createLowdbStore(file, still);
    assert.ok(await store.findUserById(2));
    assert.ok(await store.findUserById(3));
    assert.equal(await store.findUserById(1), null);
    await store.close();
    assert.deepEqual(await readdir(dir), ['db.json']);
  });

  test('the store compacts on its own once the journal grows, and loses nothing doing it', async () => {
    const store = await createLowdbStore(file, { ...still, compactAfterBytes: 2000 });
    for (let index = 0; index < 40; index++) await store.createUser(newUser(`grow${index}@example.com`));
    const snapshotSeq = async () => JSON.parse(await readFile(file, 'utf8')).seq as number;
    // Compaction runs beside the writes; wait (without a deadline on its speed) until it lands.
    while ((await snapshotSeq()) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await store.settled(); // a copy made while files are being deleted is no crash a disk can have
    const crashed = await afterCrash();
    for (let index = 1; index <= 40; index++) assert.ok(await crashed.findUserById(index));
    await crashed.close();
    await store.close();
  });

  test('sweeping 12,000 expired tokens deletes them all, durably, in bounded writes', async () => {
    const store = await createLowdbStore(file, still);
    const owner = await store.createUser(newUser('owner@example.com'));
    const hashes = Array.from({ length: 12_000 }, (_, index) => index.toString(16).padStart(64, '0'));
    await store.issueToken(owner.id, newToken(hashes[0]!), {
      issue: hashes.slice(1).map((hash) => newToken(hash)),
    });
    await store.compact();
    assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T00:00:59.000Z')), 0);
    assert.equal(await store.sweepExpiredTokens(new Date('2026-01-01T00:01:01.000Z')), 12_000);
    assert.ok(
      (await journalLines(dir)).length >= 12,
      'one bounded entry per batch of deletions, not one huge line',
    );
    const crashed = await afterCrash();
    assert.deepEqual(await crashed.listUserTokens(owner.id), []);
    await crashed.close();
    await store.close();
  });
});

test('claims do not outlive the process that made them: after a restart the mail is due at once', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-claims-'));
  const file = path.join(dir, 'db.json');
  const store = await createLowdbStore(file, still);
  await store.enqueueMail([newMail('ada@example.com')]);
  const [claimed] = await store.claimDueMail(at(1), at(3600), 10);
  assert.ok(claimed);
  await store.close();
  const restarted = await createLowdbStore(file, still);
  const [again] = await restarted.claimDueMail(at(2), at(62), 10);
  assert.equal(again?.id, claimed.id, 'the lock proves the old claimer dead');
  assert.equal(await restarted.finishMail(claimed.id, claimed.claim), false, 'its claim is void');
  await restarted.close();
  await rm(dir, { recursive: true, force: true });
});
