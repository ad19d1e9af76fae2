import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, beforeEach, test } from 'node:test';
import { parseLb3Data } from '../../server/admin/lb3-format.js';
import { listActivity } from '../../server/auth/activity.js';
import {
  createAccount,
  requireAccount,
  resetLinkFor,
  revokeSessions,
  setAccountDisabled,
  verifyAccount,
} from '../../server/auth/admin.js';
import { importLb3 } from '../../server/auth/admin-import.js';
import { bcryptCost } from '../../server/auth/admin-rehash.js';
import { isDisabled } from '../../server/auth/admin-store.js';
import { resetPassword } from '../../server/auth/password-reset.js';
import { authenticate, logIn } from '../../server/auth/sessions.js';
import {
  closeHasher,
  code,
  createDomain,
  type DomainHarness,
  PASSWORD,
  secretFrom,
} from '../helpers/domain.js';

/** The operator's rules (server/auth/admin*.ts) on the in-memory store, with the real mail queue. */

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/lb3');
let domain: DomainHarness;

beforeEach(async () => {
  domain = await createDomain();
});
afterEach(async () => {
  await domain.close();
});
after(closeHasher);

test('an invitation emails a link to choose a password; following it sets the password and verifies', async () => {
  const { deps } = domain;
  const user = await createAccount(deps, { email: 'new@example.com', verified: false, password: null });
  const [mail] = await domain.queuedMail();
  assert.equal(mail?.kind, 'invite');
  assert.match(mail?.link ?? '', /\/reset-password\?access_token=/);
  await assert.rejects(logIn(deps, { email: 'new@example.com', password: PASSWORD }), code('LOGIN_FAILED'));
  const chosen = await resetPassword(deps, secretFrom(mail?.link ?? '', 'access_token'), PASSWORD);
  assert.equal(chosen.id, user.id);
  assert.equal(chosen.emailVerified, true);
  assert.equal((await logIn(deps, { email: 'new@example.com', password: PASSWORD })).user.id, user.id);
});

test('an account made with a password keeps the password policy and the uniqueness of keys', async () => {
  const { deps } = domain;
  await assert.rejects(
    createAccount(deps, { email: 'a@example.com', verified: true, password: 'short' }),
    code('VALIDATION_ERROR', { password: ['password.tooShort'] }),
  );
  await createAccount(deps, { email: 'a@example.com', username: 'ann', verified: true, password: PASSWORD });
  assert.deepEqual(await domain.queuedMail(), [], 'verified by the operator: no verification email');
  await assert.rejects(
    createAccount(deps, { email: 'A@EXAMPLE.com', verified: true, password: PASSWORD }),
    code('VALIDATION_ERROR', { email: ['uniqueness'] }),
  );
  await assert.rejects(
    createAccount(deps, { email: 'b@example.com', username: 'ANN', verified: true, password: PASSWORD }),
    code('VALIDATION_ERROR', { username: ['uniqueness'] }),
  );
});

test('verify, a printed reset link (not emailed), and revoking every session', async () => {
  const { deps } = domain;
  const user = await createAccount(deps, { email: 'c@example.com', verified: false, password: PASSWORD });
  await domain.queuedMail();
  assert.equal((await verifyAccount(deps, user)).emailVerified, true);
  const { link } = await resetLinkFor(deps, await requireAccount(deps, { id: user.id }), { print: true });
  assert.match(link ?? '', /^https?:\/\/.*\/reset-password\?access_token=/);
  assert.equal((await domain.queuedMail()).filter((mail) => mail.kind === 'reset').length, 0);
  const session = await logIn(deps, { email: 'c@example.com', password: PASSWORD });
  assert.equal(await revokeSessions(deps, user), 1);
  assert.equal(await authenticate(deps, session.secret), null);
  assert.ok(
    await authenticate(deps, secretFrom(link ?? '', 'access_token'), 'reset'),
    'the link still works',
  );
  // The owner's security activity says what the operator did, newest first (never the link),
  // beside the owner's own events (the log-in above).
  const logged = await listActivity(deps, user.id, { limit: 10 });
  assert.deepEqual(
    logged.filter((entry) => entry.method === 'admin').map((entry) => [entry.type, entry.method]),
    [
      ['sessions-revoked', 'admin'],
      ['reset-link-printed', 'admin'],
      ['email-verified', 'admin'],
    ],
  );
  assert.equal(JSON.stringify(logged).includes(secretFrom(link ?? '', 'access_token')), false);
});

test('a disabled account answers as a wrong password and its tokens stop working; enabled, it logs in', async () => {
  const { deps } = domain;
  const user = await createAccount(deps, { email: 'd@example.com', verified: true, password: PASSWORD });
  const session = await logIn(deps, { email: 'd@example.com', password: PASSWORD });
  const disabled = await setAccountDisabled(deps, user, true);
  assert.equal(isDisabled(disabled), true);
  assert.equal(await authenticate(deps, session.secret), null);
  await assert.rejects(logIn(deps, { email: 'd@example.com', password: PASSWORD }), code('LOGIN_FAILED'));
  await setAccountDisabled(deps, disabled, false);
  assert.ok(await logIn(deps, { email: 'd@example.com', password: PASSWORD }));
});

test("LoopBack 3's hashes log in as they are and are redone at BCRYPT_ROUNDS by the first login", async () => {
  const { deps } = domain;
  const data = parseLb3Data(await readFile(path.join(FIXTURES, 'db.json'), 'utf8'));
  const summary = await importLb3(deps, data, { dryRun: false });
  assert.equal(summary.users.imported, 7);
  const frank = await deps.store.findUserById(8);
  assert.equal(bcryptCost(frank?.passwordHash ?? ''), 12);
  await assert.rejects(logIn(deps, { email: 'frank@example.com', password: 'not it' }), code('LOGIN_FAILED'));
  assert.equal(
    (await deps.store.findUserById(8))?.passwordHash,
    frank?.passwordHash,
    'a wrong password rehashes nothing',
  );
  await logIn(deps, { email: 'frank@example.com', password: 'frank came from native bcrypt' });
  const rehashed = await deps.store.findUserById(8);
  assert.equal(bcryptCost(rehashed?.passwordHash ?? ''), 4);
  assert.equal(rehashed?.passwordChanged, frank?.passwordChanged, 'the person changed nothing');
  // A $2a$ hash from LoopBack 3's bcryptjs at its default cost 10.
  assert.match((await deps.store.findUserById(1))?.passwordHash ?? '', /^\$2a\$10\$/);
  await logIn(deps, { email: 'ALICE@example.com', password: 'correct horse battery staple' });
  assert.equal(bcryptCost((await deps.store.findUserById(1))?.passwordHash ?? ''), 4);
});
