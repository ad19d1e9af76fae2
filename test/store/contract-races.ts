import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreConflictError } from '../../server/store/store.js';
import type { ContractContext } from './contract.js';
import { at, HASH, newMail, newToken, newUser } from './contract-fixtures.js';

const conflicts = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((result) => result.status === 'rejected' && result.reason instanceof StoreConflictError)
    .length;

/**
 * The races a store shared by several instances must win. Every caller starts before any
 * finishes (Promise.all), which on a database means concurrent transactions.
 */
export function raceContract(context: ContractContext) {
  test('race: 20 concurrent spends of one token, exactly one gets it', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    await store.issueToken(ada.id, newToken('once', 'reset'));
    const spent = await Promise.all(Array.from({ length: 20 }, () => store.spendToken('once')));
    assert.equal(spent.filter((token) => token !== null).length, 1);
    const viaEffects = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        store
          .issueToken(ada.id, newToken(`verify-${index}`, 'verify'))
          .then(() => store.markEmailVerified(ada.id, { spend: { hash: 'verify-0', kind: 'verify' } })),
      ),
    );
    assert.equal(viaEffects.filter((result) => result.status === 'fulfilled').length, 1);
  });

  test('race: a login racing a password change never leaves a token the change meant to end', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    const results = await Promise.allSettled([
      store.issueToken(ada.id, newToken('login'), { guard: { passwordHash: HASH } }),
      store.setPassword(
        ada.id,
        { passwordHash: 'changed', at: at(1) },
        { guard: { version: ada.version }, revoke: {} },
      ),
      store.issueToken(ada.id, newToken('login-late'), { guard: { passwordHash: HASH } }),
    ]);
    assert.equal(results[1]?.status, 'fulfilled', 'the password change lands');
    assert.deepEqual(
      await store.listUserTokens(ada.id),
      [],
      'whichever order, no old-password token is left',
    );
  });

  test('race: two consumers claiming the same mail, only one gets it', async () => {
    const { store } = context;
    await store.enqueueMail([newMail('ada@example.com')]);
    const [one, two] = await Promise.all([
      store.claimDueMail(at(1), at(61), 10),
      store.claimDueMail(at(1), at(61), 10),
    ]);
    assert.equal((one?.length ?? 0) + (two?.length ?? 0), 1);
  });

  test('race: a profile change racing a reset from the same read, one wins and nothing is overwritten', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com', 'ada'));
    await store.issueToken(ada.id, newToken('reset', 'reset'));
    const read = (await store.findUserById(ada.id))!;
    const results = await Promise.allSettled([
      store.setProfile(
        ada.id,
        { username: { username: 'Lovelace', usernameKey: 'lovelace' } },
        { guard: { version: read.version } },
      ),
      store.setPassword(
        ada.id,
        { passwordHash: 'reset-hash', at: at(2), emailVerified: true },
        { guard: { version: read.version }, spend: { hash: 'reset', kind: 'reset' }, revoke: {} },
      ),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal(conflicts(results), 1);
    const after = (await store.findUserById(ada.id))!;
    assert.equal(after.version, read.version + 1);
    const profileWon = results[0]?.status === 'fulfilled';
    assert.equal(after.username, profileWon ? 'Lovelace' : 'ada');
    assert.equal(after.passwordHash, profileWon ? HASH : 'reset-hash');
    assert.equal(
      (await store.findTokenWithUser('reset')) !== null,
      profileWon,
      'the losing reset spent nothing',
    );
  });

  test('race: 50 concurrent sign-ups with one email in different cases make one account', async () => {
    const { store } = context;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) => {
        const email = [...'same@example.com']
          .map((c, i) => ((index >> (i % 6)) & 1 ? c.toUpperCase() : c))
          .join('');
        return store.createUser({ ...newUser(email), emailKey: 'same@example.com' });
      }),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal(conflicts(results), 49);
    assert.equal((await store.findUserByEmailKey('same@example.com'))?.id, 1);
  });
}
