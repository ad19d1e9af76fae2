import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { type FeatureStore, type NewIdentity, NO_PASSWORD, type Store } from '../../server/store/store.js';
import { factorsContract } from './contract-factors.js';
import { at, conflict, newToken, newUser, type StoreFactory, T0 } from './contract-fixtures.js';
import { importContract } from './contract-import.js';

/** The store under test with its Stage B methods, replaced by `reopen`. */
export type FeatureContext = { store: Store & FeatureStore; factory: StoreFactory };

/** Asserts that a store keeps the Stage B records (a store without them fails here, loudly). */
export function withFeatures(store: Store): Store & FeatureStore {
  const candidate = store as Store & Partial<FeatureStore>;
  for (const method of [
    'appendActivity',
    'linkIdentity',
    'addPasskey',
    'setDisabled',
    'importUsers',
  ] as const)
    assert.equal(typeof candidate[method], 'function', `the store lacks ${method}`);
  return store as Store & FeatureStore;
}

const identity = (subject: string, issuer = 'https://id.example.com'): NewIdentity => ({
  providerId: 'example',
  issuer,
  subject,
  email: `${subject}@example.com`,
  linkedAt: T0,
});

/**
 * The contract of the Stage B records (issues 14, 16, 17, 18), for every store that has them:
 * each write's semantics, its conflicts, the races that must have exactly one winner, the cascade
 * of deleteUser, and that every record survives a reopen.
 */
export function runFeatureContract(name: string, makeFactory: () => Promise<StoreFactory>) {
  describe(`Store contract, Stage B records: ${name}`, () => {
    const context = {} as FeatureContext;
    const reopen = async () => {
      context.store = withFeatures(await context.factory.reopen(context.store));
      return context.store;
    };
    beforeEach(async () => {
      context.factory = await makeFactory();
      context.store = withFeatures(await context.factory.open());
    });
    afterEach(async () => {
      await context.store.close();
      await context.factory.cleanup();
    });

    test('access tokens keep a public id and their metadata; touch and revoke-by-id', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('ada@example.com'));
      const bob = await store.createUser(newUser('bob@example.com'));
      const meta = {
        id: 'pub-1',
        ip: '203.0.113.5',
        userAgent: 'Firefox on Linux',
        session: 'browser',
      } as const;
      await store.issueToken(ada.id, { ...newToken('h1'), ...meta, lastUsed: null });
      assert.equal(await store.touchToken('h1', at(90)), true);
      assert.equal(await store.touchToken('missing', at(90)), false);
      await assert.rejects(store.issueToken(bob.id, { ...newToken('h2'), id: 'pub-1' }), conflict('token'));
      const found = await (await reopen()).findTokenWithUser('h1');
      assert.deepEqual(
        { ...meta, lastUsed: at(90).toISOString(), version: 1 },
        { ...pick(found?.token, meta), lastUsed: found?.token.lastUsed, version: found?.user.version },
      );
      assert.equal(await context.store.revokeTokenById(bob.id, 'pub-1'), false);
      assert.equal(await context.store.revokeTokenById(ada.id, 'nope'), false);
      assert.equal(await context.store.revokeTokenById(ada.id, 'pub-1'), true);
      assert.equal(await context.store.findTokenWithUser('h1'), null);
      assert.equal(await context.store.revokeTokenById(ada.id, 'pub-1'), false);
    });

    test('activity: newest first, paged by id, capped per account, swept by age, gone with the user', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('ada@example.com'));
      const bob = await store.createUser(newUser('bob@example.com'));
      for (let second = 0; second < 5; second++)
        await store.appendActivity(ada.id, [{ at: at(second).toISOString(), type: `e${second}` }], {
          keepAtMost: 4,
        });
      await store.appendActivity(
        bob.id,
        [{ at: at(100).toISOString(), type: 'bob', method: 'password', detail: { k: 'v' } }],
        {
          keepAtMost: 4,
        },
      );
      const all = await (await reopen()).listActivity(ada.id, { limit: 10 });
      assert.deepEqual(
        all.map((entry) => entry.type),
        ['e4', 'e3', 'e2', 'e1'],
      );
      const page = await context.store.listActivity(ada.id, { before: all[1]?.id, limit: 2 });
      assert.deepEqual(
        page.map((entry) => entry.type),
        ['e2', 'e1'],
      );
      assert.equal(await context.store.sweepActivity(at(3)), 2);
      assert.deepEqual(
        (await context.store.listActivity(ada.id, { limit: 10 })).map((entry) => entry.type),
        ['e4', 'e3'],
      );
      await context.store.setDisabled(bob.id, true, {
        activity: { entries: [{ at: T0, type: 'disabled' }], keepAtMost: 4 },
      });
      const bobs = await context.store.listActivity(bob.id, { limit: 10 });
      assert.deepEqual(
        bobs.map((entry) => [entry.type, entry.userId]),
        [
          ['disabled', bob.id],
          ['bob', bob.id],
        ],
      );
      assert.deepEqual(bobs[1]?.detail, { k: 'v' });
      // A Stage A write carries its entry in the same step; a refused one appends nothing.
      const entry = { entries: [{ at: T0, type: 'password-changed' }], keepAtMost: 4 };
      await assert.rejects(
        context.store.setPassword(
          bob.id,
          { passwordHash: 'x', at: at(1) },
          { guard: { version: 1 }, activity: entry },
        ),
        conflict('user'),
      );
      await context.store.setPassword(bob.id, { passwordHash: 'x', at: at(1) }, { activity: entry });
      const carol = await context.store.createUser(newUser('carol@example.com'), () => ({
        activity: { entries: [{ at: T0, type: 'signed-up' }], keepAtMost: 4 },
      }));
      assert.deepEqual(
        (await context.store.listActivity(bob.id, { limit: 10 })).map((row) => row.type),
        ['password-changed', 'disabled', 'bob'],
      );
      assert.equal((await context.store.listActivity(carol.id, { limit: 1 }))[0]?.type, 'signed-up');
      await assert.rejects(
        context.store.appendActivity(99, [{ at: T0, type: 'x' }], { keepAtMost: 4 }),
        conflict('user'),
      );
      assert.equal(await context.store.deleteUser(ada.id), true);
      assert.deepEqual(await context.store.listActivity(ada.id, { limit: 10 }), []);
    });

    test('identities: unique on (issuer, subject), found with their user, unlinked, created with a user', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('ada@example.com'));
      const bob = await store.createUser(newUser('bob@example.com'));
      await store.linkIdentity(ada.id, identity('s1'));
      await assert.rejects(store.linkIdentity(bob.id, identity('s1')), conflict('identity'));
      await store.linkIdentity(bob.id, identity('s1', 'https://other.example.org'));
      const carol = await store.createUserWithIdentity(
        { ...newUser('carol@example.com'), passwordHash: NO_PASSWORD, emailVerified: true },
        identity('s2'),
        (id) => ({ issue: [newToken(`carol-${id}`)] }),
      );
      await assert.rejects(
        store.createUserWithIdentity(newUser('dan@example.com'), identity('s2')),
        conflict('identity'),
      );
      await assert.rejects(
        store.createUserWithIdentity(newUser('ADA@example.com'), identity('s3')),
        conflict('email'),
      );
      assert.equal(await store.findUserByIdentity('https://id.example.com', 's3'), null);
      await reopen();
      const found = await context.store.findUserByIdentity('https://id.example.com', 's1');
      assert.equal(found?.user.id, ada.id);
      assert.equal(found?.identity.email, 's1@example.com');
      assert.equal(
        (await context.store.findUserByIdentity('https://id.example.com', 's2'))?.user.passwordHash,
        '',
      );
      assert.equal((await context.store.findTokenWithUser(`carol-${carol.id}`))?.user.id, carol.id);
      assert.equal((await context.store.findUserById(ada.id))?.version, 2);
      assert.deepEqual(
        (await context.store.listIdentities(bob.id)).map((row) => row.issuer),
        ['https://other.example.org'],
      );
      assert.equal(await context.store.unlinkIdentity(bob.id, 'https://id.example.com', 's1'), false);
      assert.equal(await context.store.unlinkIdentity(ada.id, 'https://id.example.com', 's1'), true);
      assert.equal(await context.store.findUserByIdentity('https://id.example.com', 's1'), null);
      await context.store.deleteUser(carol.id);
      assert.equal(await context.store.findUserByIdentity('https://id.example.com', 's2'), null);
      assert.equal((await context.store.createUser(newUser('erin@example.com'))).id, carol.id + 1);
    });

    factorsContract(context, reopen);

    test('disabled: set and cleared, every token revoked in the same write, and the store hides nothing', async () => {
      const { store } = context;
      const ada = await store.createUser(newUser('ada@example.com'), () => ({
        issue: [newToken('a1'), newToken('a2')],
      }));
      const disabled = await store.setDisabled(ada.id, true, { revoke: {}, guard: { version: ada.version } });
      assert.deepEqual([disabled.disabled, disabled.version], [true, 2]);
      assert.deepEqual(await store.listUserTokens(ada.id), []);
      await store.issueToken(ada.id, newToken('late'));
      assert.equal((await (await reopen()).findTokenWithUser('late'))?.user.disabled, true);
      await assert.rejects(
        context.store.setDisabled(ada.id, false, { guard: { version: 1 } }),
        conflict('user'),
      );
      assert.equal((await context.store.setDisabled(ada.id, false)).disabled, false);
    });

    importContract(context, reopen);
  });
}

function pick(token: object | undefined, shape: object): Record<string, unknown> {
  const record = (token ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(shape).map((key) => [key, record[key]]));
}
