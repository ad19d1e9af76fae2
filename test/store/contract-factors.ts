import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeatureStore, PasskeyRecord, Store } from '../../server/store/store.js';
import { at, conflict, newUser, T0 } from './contract-fixtures.js';

type Context = { store: Store & FeatureStore };

const passkey = (credentialId: string): Omit<PasskeyRecord, 'userId'> => ({
  credentialId,
  publicKey: 'pQECAyYgASFYIA',
  counter: 0,
  transports: ['internal'],
  deviceType: 'multiDevice',
  backedUp: true,
  name: 'Laptop',
  created: T0,
  lastUsed: null,
});

/** Second factors' part of the contract (issue 17): TOTP steps and recovery codes won once, passkeys. */
export function factorsContract(context: Context, reopen: () => Promise<Store & FeatureStore>) {
  test('TOTP: on and off, a step is accepted once and only upward, recovery codes spent once', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    assert.equal(await store.acceptTotpStep(ada.id, 5), false); // off: nothing to accept
    await store.setTotp(ada.id, { secret: 'sealed', lastStep: 10, at: at(0) });
    await store.setRecoveryCodes(ada.id, ['c1', 'c2']);
    const steps = await Promise.all([store.acceptTotpStep(ada.id, 11), store.acceptTotpStep(ada.id, 11)]);
    assert.deepEqual(steps.sort(), [false, true]);
    assert.equal(await store.acceptTotpStep(ada.id, 10), false);
    const spends = await Promise.all([
      store.spendRecoveryCode(ada.id, 'c1'),
      store.spendRecoveryCode(ada.id, 'c1'),
    ]);
    assert.deepEqual(spends.sort(), [1, null]);
    await store.setPassword(ada.id, { passwordHash: 'new', at: at(5) });
    await reopen();
    assert.deepEqual(await context.store.getTwoFactor(ada.id), {
      totpSecret: 'sealed',
      totpLastStep: 11,
      totpEnabledAt: at(0).toISOString(),
      recoveryCodeHashes: ['c2'],
      userHandle: null,
    });
    await context.store.setTotp(ada.id, null);
    const off = await context.store.getTwoFactor(ada.id);
    assert.deepEqual([off.totpSecret, off.totpLastStep, off.recoveryCodeHashes], [null, null, ['c2']]);
    await context.store.setUserHandle(ada.id, 'handle-1');
    await context.store.setUserHandle(ada.id, 'handle-1');
    await assert.rejects(context.store.setUserHandle(ada.id, 'handle-2'), conflict('user'));
    await assert.rejects(context.store.getTwoFactor(99), conflict('user'));
  });

  test('passkeys: unique credential ids, found with their user, used, renamed, removed, gone with the user', async () => {
    const { store } = context;
    const ada = await store.createUser(newUser('ada@example.com'));
    const bob = await store.createUser(newUser('bob@example.com'));
    await store.addPasskey(ada.id, passkey('cred-1'));
    await store.addPasskey(ada.id, { ...passkey('cred-2'), created: at(10).toISOString() });
    await assert.rejects(store.addPasskey(bob.id, passkey('cred-1')), conflict('passkey'));
    assert.equal(await store.usePasskey('cred-1', { counter: 7, at: at(20) }), true);
    assert.equal(await store.usePasskey('missing', { counter: 7, at: at(20) }), false);
    assert.equal(await store.renamePasskey(bob.id, 'cred-2', 'Stolen'), false);
    assert.equal(await store.renamePasskey(ada.id, 'cred-2', 'Phone'), true);
    await reopen();
    const found = await context.store.findPasskeyWithUser('cred-1');
    assert.deepEqual(
      [found?.user.id, found?.passkey.counter, found?.passkey.lastUsed],
      [ada.id, 7, at(20).toISOString()],
    );
    assert.deepEqual(
      (await context.store.listPasskeys(ada.id)).map((row) => row.name),
      ['Laptop', 'Phone'],
    );
    assert.equal(await context.store.removePasskey(bob.id, 'cred-1'), false);
    assert.equal(await context.store.removePasskey(ada.id, 'cred-1'), true);
    assert.equal(await context.store.findPasskeyWithUser('cred-1'), null);
    await context.store.deleteUser(ada.id);
    assert.equal(await context.store.findPasskeyWithUser('cred-2'), null);
    await context.store.addPasskey(bob.id, passkey('cred-2'));
  });
}
