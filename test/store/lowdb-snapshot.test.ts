import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createLowdbStore } from '../../server/store/lowdb.js';
import { StoreCorruptError } from '../../server/store/store.js';
import { newUser } from './contract-fixtures.js';

async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}
const emailsIn = async (file: string) =>
  (JSON.parse(await readFile(file, 'utf8')).users as Array<{ email: string }>).map((user) => user.email);

const v1User = (id: string, email: string, created: string, username: string | null = null) => ({
  id,
  email,
  username,
  passwordHash: '$2b$04$hash',
  emailVerified: true,
  created,
  passwordChanged: created,
});

describe('DB_FILE', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kum-snapshot-'));
    file = path.join(dir, 'db.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('is rewritten in the background once writes go quiet', async () => {
    const store = await createLowdbStore(file, { quietMs: 20, minIntervalMs: 0 });
    await store.createUser(newUser('quiet@example.com'));
    await eventually(async () => (await emailsIn(file)).includes('quiet@example.com'));
    await store.settled();
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes('.journal.')),
      [],
      'the journal it folded in is gone',
    );
    await store.close();
  });

  test('is rewritten under steady writes too, once it is maxStaleMs behind', async () => {
    const store = await createLowdbStore(file, { quietMs: 3_600_000, maxStaleMs: 30, minIntervalMs: 0 });
    let stop = false;
    const writer = (async () => {
      for (let index = 0; !stop; index++) {
        await store.createUser(newUser(`steady${index}@example.com`));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await eventually(async () => (await emailsIn(file)).includes('steady0@example.com'));
    stop = true;
    await writer;
    await store.close();
  });

  test('a failed rewrite is reported, keeps the journal, and the next one catches up', async () => {
    const errors: unknown[] = [];
    const store = await createLowdbStore(file, {
      quietMs: 3_600_000,
      onCompactionError: (error) => errors.push(error),
    });
    await store.createUser(newUser('kept@example.com'));
    // A folder where the file should be: the rename that replaces DB_FILE fails.
    await rm(file);
    await mkdir(path.join(file, 'in-the-way'), { recursive: true });
    await assert.rejects(store.compact());
    assert.equal(errors.length, 1, 'reported to the caller (server.ts logs it)');
    assert.ok(
      (await readdir(dir)).some((name) => name.includes('.journal.')),
      'the journal keeps the change',
    );
    await rm(file, { recursive: true });
    await store.compact();
    assert.deepEqual(await emailsIn(file), ['kept@example.com']);
    await store.close();
  });

  test('a version-1 file (string ids) is migrated: ids 1, 2 … in order of creation, old ids nowhere', async () => {
    const v1 = {
      version: 1,
      seq: 7,
      users: [
        v1User('9f0c-later', 'Later@Example.com', '2025-02-01T00:00:00.000Z', 'Bob'),
        v1User('3a1b-first', 'first@example.com', '2025-01-01T00:00:00.000Z'),
      ],
      tokens: [
        { hash: 'h1', userId: '9f0c-later', kind: 'access', created: '2025-02-02T00:00:00.000Z', ttl: 60 },
        { hash: 'orphan', userId: 'nobody', kind: 'access', created: '2025-02-02T00:00:00.000Z', ttl: 60 },
      ],
      mails: [
        {
          id: 'm-1',
          kind: 'verify',
          to: 'first@example.com',
          sealedLink: 'v1.x',
          created: '2025-01-01T00:00:00.000Z',
          attempts: 0,
          nextAttempt: '2025-01-01T00:00:00.000Z',
          lastError: null,
        },
      ],
    };
    const original = JSON.stringify(v1);
    await writeFile(file, original);
    const store = await createLowdbStore(file, {
      migrationKeys: { emailKey: (email) => email.toLowerCase(), usernameKey: (name) => name.toLowerCase() },
    });
    assert.equal((await store.findUserByEmailKey('first@example.com'))?.id, 1);
    const later = await store.findUserByEmailKey('later@example.com');
    assert.equal(later?.id, 2);
    assert.equal(later?.email, 'Later@Example.com');
    assert.equal((await store.findUserByUsernameKey('bob'))?.id, 2);
    const token = await store.findTokenWithUser('h1');
    assert.equal(token?.token.userId, 2);
    assert.equal(token?.token.expiresAt, '2025-02-02T00:01:00.000Z');
    assert.equal(await store.findTokenWithUser('orphan'), null);
    assert.equal((await store.mailQueueStats()).depth, 0, 'a verify link naming the old id is not sent');
    assert.equal((await store.createUser(newUser('third@example.com'))).id, 3);
    await store.close();
    const written = await readFile(file, 'utf8');
    assert.equal(JSON.parse(written).version, 2);
    assert.doesNotMatch(written, /9f0c-later|3a1b-first/);
    assert.equal(await readFile(`${file}.v1-backup`, 'utf8'), original, 'the old file is kept beside it');
  });

  test('a version-1 file with journal files beside it is refused, untouched', async () => {
    const content = JSON.stringify({ version: 1, users: [], tokens: [], mails: [] });
    await writeFile(file, content);
    await writeFile(`${file}.journal.1`, '{"seq":1,"changes":[]}\n');
    await assert.rejects(createLowdbStore(file), (error: unknown) => {
      assert.ok(error instanceof StoreCorruptError);
      assert.match(error.message, /earlier version.*stop it cleanly/);
      return true;
    });
    assert.equal(await readFile(file, 'utf8'), content);
    assert.deepEqual((await readdir(dir)).sort(), ['db.json', 'db.json.journal.1']);
  });
});
