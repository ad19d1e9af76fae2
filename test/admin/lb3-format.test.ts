import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { Lb3FormatError, parseLb3Data } from '../../server/admin/lb3-format.js';

// The fixture was written by LoopBack 3 itself (see test/fixtures/lb3/README.md).
const FIXTURES = fileURLToPath(new URL('../fixtures/lb3/', import.meta.url));
const read = (name: string) => readFile(path.join(FIXTURES, name), 'utf8');

type Accounts = {
  users: { email: string; username?: string; password: string; realm?: string; verified: boolean }[];
};
type Manifest = {
  users: { id: number; email: string }[];
  tokens: { id: string; userId: number; ttl: number; live: boolean; scopes?: string[] }[];
};
const accounts = JSON.parse(await read('accounts.json')) as Accounts;
const manifest = JSON.parse(await read('manifest.json')) as Manifest;
const dbText = await read('db.json');
const exportText = await read('users-export.json');

/** The db.json as an object, to break one record in a copy. */
type MemoryFile = { ids: Record<string, number>; models: Record<string, Record<string, string>> };
const dbCopy = () => JSON.parse(dbText) as MemoryFile;

test('a LoopBack 3 memory file: the `user` model is found by its records, every user and token read', () => {
  const data = parseLb3Data(dbText);
  assert.equal(data.shape, 'memory-file');
  // `User` is there too but empty, and Role/RoleMapping carry no email and password.
  assert.equal(data.model, 'user');
  assert.deepEqual(data.problems, []);
  assert.deepEqual(
    data.users.map((user) => [user.id, user.email]),
    manifest.users.map((user) => [user.id, user.email]),
  );
  assert.equal(data.nextId, manifest.users.length + 1);
  assert.deepEqual(
    data.tokens.map((token) => [token.id, token.userId, token.ttl]),
    manifest.tokens.map((token) => [token.id, token.userId, token.ttl]),
  );
});

test('each user keeps its id, email as written, username, verified flag and realm', () => {
  const byEmail = new Map(parseLb3Data(dbText).users.map((user) => [user.email, user]));
  for (const account of accounts.users) {
    const user = byEmail.get(account.email);
    assert.ok(user, account.email);
    assert.equal(user.username, account.username ?? null, account.email);
    assert.equal(user.realm, account.realm ?? null, account.email);
    assert.equal(user.emailVerified, account.verified, account.email);
    assert.equal(typeof user.id, 'number');
  }
  // LoopBack 3's case-sensitive default let both Carols in; telling them apart is the importer's job.
  assert.ok(byEmail.has('Carol@Example.com') && byEmail.has('carol@example.com'));
});

test('password hashes are kept byte for byte and still check the original passwords', async () => {
  const users = parseLb3Data(dbText).users;
  const stored = dbCopy().models.user ?? {};
  for (const user of users) {
    const record = JSON.parse(stored[String(user.id)] ?? '{}') as { password: string };
    assert.equal(user.passwordHash, record.password);
    const account = accounts.users.find((candidate) => candidate.email === user.email);
    assert.ok(account);
    assert.equal(await bcrypt.compare(account.password, user.passwordHash), true, user.email);
  }
  const prefixes = new Set(users.map((user) => user.passwordHash.slice(0, 7)));
  assert.deepEqual([...prefixes].sort(), ['$2a$10$', '$2b$12$']);
});

test('tokens keep their plain id, ttl, created instant and scopes (a reset token is marked)', () => {
  const data = parseLb3Data(dbText);
  const records = dbCopy().models.AccessToken ?? {};
  for (const token of data.tokens) {
    const record = JSON.parse(records[token.id] ?? '{}') as { created: string };
    assert.equal(token.created, new Date(record.created).toISOString());
  }
  const reset = data.tokens.filter((token) => token.scopes !== null);
  assert.deepEqual(
    reset.map((token) => [token.ttl, token.scopes]),
    [[900, ['reset-password']]],
  );
  const expired = manifest.tokens.find((token) => !token.live);
  const parsed = data.tokens.find((token) => token.id === expired?.id);
  assert.ok(parsed);
  // Read, not judged: whether it is still live is the importer's call against its clock.
  assert.ok(Date.parse(parsed.created) + parsed.ttl * 1000 < Date.now());
});

test('the JSON-array export gives the same users, and no tokens', () => {
  const array = parseLb3Data(exportText);
  const file = parseLb3Data(dbText);
  assert.equal(array.shape, 'user-array');
  assert.equal(array.model, null);
  assert.deepEqual(array.problems, []);
  assert.deepEqual(array.users, file.users);
  assert.deepEqual(array.tokens, []);
});

test('--model picks the model by name; a missing or empty one is said plainly', () => {
  assert.equal(parseLb3Data(dbText, { model: 'user' }).users.length, manifest.users.length);
  // Naming the empty base model is allowed: it just holds nobody, so its tokens point at no one.
  const base = parseLb3Data(dbText, { model: 'User' });
  assert.deepEqual(base.users, []);
  assert.equal(base.tokens.length, 0);
  assert.equal(base.problems.length, manifest.tokens.length);
  assert.throws(
    () => parseLb3Data(dbText, { model: 'Customer' }),
    (error: unknown) =>
      error instanceof Lb3FormatError &&
      /no model named "Customer".*models: User, AccessToken/.test(error.message),
  );
  assert.throws(() => parseLb3Data(exportText, { model: 'user' }), Lb3FormatError);
});

test('two models holding users: the choice is left to --model, never guessed', () => {
  const db = dbCopy();
  db.models.Customer = { 1: JSON.stringify({ id: 1, email: 'x@example.com', password: 'y' }) };
  const text = JSON.stringify(db);
  assert.throws(
    () => parseLb3Data(text),
    (error: unknown) =>
      error instanceof Lb3FormatError && /several models hold users \(user, Customer\)/.test(error.message),
  );
  assert.equal(parseLb3Data(text, { model: 'user' }).users.length, manifest.users.length);
});

test('a file that is not LoopBack 3 data is one clear error', () => {
  const cases: [string, RegExp][] = [
    ['{"ids": {', /not JSON/],
    ['{"users": []}', /neither a LoopBack 3 memory-connector file/],
    ['"text"', /neither/],
    [
      JSON.stringify({ ids: {}, models: { Role: { 1: '{"name":"admin"}' } } }),
      /no model whose records carry email and password/,
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseLb3Data(text),
      (error: unknown) => error instanceof Lb3FormatError && message.test(error.message),
      text,
    );
  }
});

test('malformed user rows are reported and left out; the others still come through', () => {
  const db = dbCopy();
  const users = db.models.user ?? {};
  const edit = (id: string, change: (record: Record<string, unknown>) => void) => {
    const record = JSON.parse(users[id] ?? '{}') as Record<string, unknown>;
    change(record);
    users[id] = JSON.stringify(record);
  };
  users['2'] = '{"email": "bob@example.com", "password": '; // cut off mid-write
  edit('3', (record) => {
    record.password = 'plain text password';
  });
  edit('4', (record) => {
    delete record.email;
  });
  edit('5', (record) => {
    record.emailVerified = 'yes';
  });
  edit('6', (record) => {
    record.id = 60;
  });
  edit('7', (record) => {
    record.password = `$2y$${String(record.password).slice(4)}`;
  });
  const data = parseLb3Data(JSON.stringify(db));
  assert.deepEqual(
    data.users.map((user) => user.id),
    [1, 8],
  );
  assert.deepEqual(data.problems.slice(0, 6), [
    { where: 'user 2', reason: 'the record is not valid JSON' },
    { where: 'user 3', reason: 'password is not a $2a$/$2b$ bcrypt hash' },
    { where: 'user 4', reason: 'email must be a string' },
    { where: 'user 5', reason: 'emailVerified must be true or false' },
    { where: 'user 6', reason: "the record's id 60 differs from its key" },
    { where: 'user 7', reason: 'password is not a $2a$/$2b$ bcrypt hash' },
  ]);
  // The tokens of the users left out are reported too, by position: never by the token itself.
  const tokenProblems = data.problems.slice(6);
  assert.deepEqual(
    tokenProblems.map((problem) => problem.reason),
    [
      'user 2 is not among the users read',
      'user 2 is not among the users read',
      'user 3 is not among the users read',
      'user 6 is not among the users read',
    ],
  );
  const report = JSON.stringify(data.problems);
  for (const token of manifest.tokens) assert.ok(!report.includes(token.id));
});

test('malformed token rows are reported by position without their secret', () => {
  const db = dbCopy();
  const tokens = db.models.AccessToken ?? {};
  const [first, second, third, fourth] = Object.keys(tokens);
  assert.ok(first && second && third && fourth);
  const edit = (id: string, change: (record: Record<string, unknown>) => void) => {
    const record = JSON.parse(tokens[id] ?? '{}') as Record<string, unknown>;
    change(record);
    tokens[id] = JSON.stringify(record);
  };
  edit(first, (record) => {
    record.ttl = 0;
  });
  edit(second, (record) => {
    record.created = 'last tuesday';
  });
  edit(third, (record) => {
    record.userId = 'two';
  });
  edit(fourth, (record) => {
    record.principalType = 'Admin';
  });
  const data = parseLb3Data(JSON.stringify(db));
  assert.deepEqual(data.problems, [
    { where: 'AccessToken #1', reason: 'ttl must be a positive whole number of seconds or -1' },
    { where: 'AccessToken #2', reason: 'created is not a date' },
    { where: 'AccessToken #3', reason: 'userId: must be a whole number from 1' },
    { where: 'AccessToken #4', reason: 'belongs to model Admin, not user' },
  ]);
  assert.equal(data.tokens.length, manifest.tokens.length - 4);
  const report = JSON.stringify(data.problems);
  for (const id of [first, second, third, fourth]) assert.ok(!report.includes(id));
});

test('array rows: digits accepted as an id, duplicates and missing ids reported', () => {
  const rows = JSON.parse(exportText) as Record<string, unknown>[];
  const [alice, bob, carol] = rows;
  assert.ok(alice && bob && carol);
  const data = parseLb3Data(
    JSON.stringify([{ ...alice, id: '1' }, { ...bob, id: 1 }, { ...carol, id: undefined }, 'not a record']),
  );
  assert.deepEqual(
    data.users.map((user) => [user.id, user.email]),
    [[1, 'alice@example.com']],
  );
  assert.deepEqual(data.problems, [
    { where: 'row 2', reason: 'id 1 appears twice' },
    { where: 'row 3', reason: 'id: must be a whole number from 1' },
    { where: 'row 4', reason: 'the record is not an object' },
  ]);
});

test('make-lb3-data.cjs still produces a file this parser reads (LoopBack 3 run afresh)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-lb3-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(FIXTURES, 'make-lb3-data.cjs'),
      dir,
    ]);
    const fresh = JSON.parse(stdout) as Manifest;
    const data = parseLb3Data(await readFile(path.join(dir, 'db.json'), 'utf8'));
    assert.deepEqual(data.problems, []);
    assert.deepEqual(
      data.users.map((user) => user.email),
      manifest.users.map((user) => user.email),
    );
    assert.deepEqual(
      data.tokens.map((token) => token.id).sort(),
      fresh.tokens.map((token) => token.id).sort(),
    );
    const live = fresh.tokens.filter((token) => token.live).map((token) => token.id);
    const now = Date.now();
    assert.deepEqual(
      data.tokens
        .filter((token) => Date.parse(token.created) + token.ttl * 1000 > now)
        .map((token) => token.id)
        .sort(),
      live.sort(),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
