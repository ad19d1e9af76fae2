import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { MailRecord, Store, TokenRecord, UserRecord } from '../../server/store/store.js';
import { StoreConflictError } from '../../server/store/store.js';

/** How a Store implementation is opened for the suite: fresh, and again on the same data. */
export type StoreFactory = {
  open(): Promise<Store>;
  /** Closes and opens the same data again, as a restart would. */
  reopen(store: Store): Promise<Store>;
  cleanup(): Promise<void>;
};

export function user(id: string, email: string, username: string | null = null): UserRecord {
  return {
    id,
    email,
    username,
    passwordHash: '$2b$04$abcdefghijklmnopqrstuu5JrDQp0N4xm3m1W1q0QyG4I6xkq3Jxq',
    emailVerified: false,
    created: '2026-01-01T00:00:00.000Z',
    passwordChanged: '2026-01-01T00:00:00.000Z',
  };
}

export function token(
  hash: string,
  userId: string,
  kind: TokenRecord['kind'] = 'access',
  ttl = 60,
): TokenRecord {
  return { hash, userId, kind, created: '2026-01-01T00:00:00.000Z', ttl };
}

function mail(id: string, nextAttempt: string): MailRecord {
  return {
    id,
    kind: 'verify',
    to: 'a@example.com',
    sealedLink: 'v1.sealed.link.text',
    created: nextAttempt,
    attempts: 0,
    nextAttempt,
    lastError: null,
  };
}

/**
 * The suite every Store must pass (lowdb now, PostgreSQL later): look-ups, case-insensitive
 * uniqueness, all-or-nothing commits, token cascades, sweeping, and durability across a reopen.
 */
export function runStoreContract(name: string, makeFactory: () => Promise<StoreFactory>) {
  describe(`Store contract: ${name}`, () => {
    let factory: StoreFactory;
    let store: Store;
    beforeEach(async () => {
      factory = await makeFactory();
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
      await factory.cleanup();
    });

    test('finds users by id, and by email and username ignoring case', async () => {
      await store.commit([{ type: 'putUser', user: user('u1', 'Ada@Example.com', 'Ada') }]);
      assert.equal((await store.findUserById('u1'))?.email, 'Ada@Example.com');
      assert.equal((await store.findUserByEmail('ada@example.COM'))?.id, 'u1');
      assert.equal((await store.findUserByUsername('ADA'))?.id, 'u1');
      assert.equal(await store.findUserById('missing'), null);
      assert.equal(await store.findUserByEmail('missing@example.com'), null);
      assert.equal(await store.findUserByUsername('missing'), null);
    });

    test('refuses a second user with the same email or username and applies nothing of that commit', async () => {
      await store.commit([{ type: 'putUser', user: user('u1', 'ada@example.com', 'ada') }]);
      await assert.rejects(
        store.commit([
          { type: 'putToken', token: token('t-orphan', 'u2') },
          { type: 'putUser', user: user('u2', 'ADA@example.com') },
        ]),
        (error: unknown) => error instanceof StoreConflictError && error.field === 'email',
      );
      await assert.rejects(
        store.commit([{ type: 'putUser', user: user('u3', 'other@example.com', 'ADA') }]),
        (error: unknown) => error instanceof StoreConflictError && error.field === 'username',
      );
      assert.equal(await store.findToken('t-orphan'), null);
      assert.equal(await store.findUserById('u2'), null);
    });

    test('guards: a commit whose token is gone or whose password changed applies nothing', async () => {
      await store.commit([
        { type: 'putUser', user: user('u1', 'a@example.com') },
        { type: 'putToken', token: token('r1', 'u1', 'reset') },
      ]);
      const spend = [{ type: 'deleteToken', hash: 'r1' }] as const;
      await store.commit(
        [...spend, { type: 'putToken', token: token('a1', 'u1') }],
        [{ type: 'tokenExists', hash: 'r1' }],
      );
      await assert.rejects(
        store.commit(
          [...spend, { type: 'putToken', token: token('a2', 'u1') }],
          [{ type: 'tokenExists', hash: 'r1' }],
        ),
        (error: unknown) => error instanceof StoreConflictError && error.field === 'token',
      );
      assert.equal(await store.findToken('a2'), null, 'nothing of the refused commit applied');
      const current = (await store.findUserById('u1'))!;
      await assert.rejects(
        store.commit(
          [{ type: 'putToken', token: token('a3', 'u1') }],
          [{ type: 'passwordUnchanged', userId: 'u1', passwordHash: 'some older hash' }],
        ),
        (error: unknown) => error instanceof StoreConflictError && error.field === 'user',
      );
      assert.equal(await store.findToken('a3'), null);
      await store.commit(
        [{ type: 'putToken', token: token('a4', 'u1') }],
        [{ type: 'passwordUnchanged', userId: 'u1', passwordHash: current.passwordHash }],
      );
      assert.ok(await store.findToken('a4'));
    });

    test('updating a user moves its email and username indexes', async () => {
      await store.commit([{ type: 'putUser', user: user('u1', 'old@example.com', 'old') }]);
      await store.commit([{ type: 'putUser', user: user('u1', 'new@example.com', 'new') }]);
      assert.equal(await store.findUserByEmail('old@example.com'), null);
      assert.equal(await store.findUserByUsername('old'), null);
      assert.equal((await store.findUserByEmail('new@example.com'))?.id, 'u1');
      await store.commit([{ type: 'putUser', user: user('u2', 'old@example.com', 'old') }]);
      assert.equal((await store.findUserByEmail('old@example.com'))?.id, 'u2');
    });

    test('tokens: put, find, list per user, delete one, delete by kind, keep one', async () => {
      await store.commit([
        { type: 'putUser', user: user('u1', 'a@example.com') },
        { type: 'putToken', token: token('a1', 'u1') },
        { type: 'putToken', token: token('a2', 'u1') },
        { type: 'putToken', token: token('r1', 'u1', 'reset') },
      ]);
      assert.equal((await store.findToken('a1'))?.userId, 'u1');
      assert.equal((await store.listUserTokens('u1')).length, 3);
      await store.commit([{ type: 'deleteToken', hash: 'a1' }]);
      assert.equal(await store.findToken('a1'), null);
      await store.commit([{ type: 'deleteUserTokens', userId: 'u1', kinds: ['reset'] }]);
      assert.deepEqual(
        (await store.listUserTokens('u1')).map((t) => t.hash),
        ['a2'],
      );
      await store.commit([
        { type: 'putToken', token: token('a3', 'u1') },
        { type: 'deleteUserTokens', userId: 'u1', exceptHash: 'a3' },
      ]);
      assert.deepEqual(
        (await store.listUserTokens('u1')).map((t) => t.hash),
        ['a3'],
      );
    });

    test('deleting a user deletes its tokens', async () => {
      await store.commit([
        { type: 'putUser', user: user('u1', 'a@example.com') },
        { type: 'putToken', token: token('a1', 'u1') },
      ]);
      await store.commit([{ type: 'deleteUser', userId: 'u1' }]);
      assert.equal(await store.findUserById('u1'), null);
      assert.equal(await store.findUserByEmail('a@example.com'), null);
      assert.equal(await store.findToken('a1'), null);
    });

    test('sweeps tokens whose lifetime has ended, and only those', async () => {
      await store.commit([
        { type: 'putUser', user: user('u1', 'a@example.com') },
        { type: 'putToken', token: token('short', 'u1', 'access', 60) },
        { type: 'putToken', token: token('long', 'u1', 'access', 3600) },
      ]);
      const atTtl = new Date(Date.parse('2026-01-01T00:00:00.000Z') + 60_000);
      assert.equal(await store.sweepExpiredTokens(atTtl), 0, 'still valid at exactly its TTL');
      const later = new Date(atTtl.getTime() + 1000);
      assert.equal(await store.sweepExpiredTokens(later), 1);
      assert.equal(await store.findToken('short'), null);
      assert.ok(await store.findToken('long'));
    });

    test('lists due mail oldest first and leaves mail not yet due', async () => {
      await store.commit([
        { type: 'putMail', mail: mail('m2', '2026-01-01T00:00:02.000Z') },
        { type: 'putMail', mail: mail('m1', '2026-01-01T00:00:01.000Z') },
        { type: 'putMail', mail: mail('m3', '2026-01-01T01:00:00.000Z') },
      ]);
      const due = await store.listDueMail(new Date('2026-01-01T00:00:05.000Z'), 10);
      assert.deepEqual(
        due.map((m) => m.id),
        ['m1', 'm2'],
      );
      await store.commit([{ type: 'deleteMail', id: 'm1' }]);
      assert.deepEqual(
        (await store.listDueMail(new Date('2026-01-01T00:00:05.000Z'), 10)).map((m) => m.id),
        ['m2'],
      );
    });

    test('everything acknowledged is there after a reopen', async () => {
      await store.commit([
        { type: 'putUser', user: user('u1', 'a@example.com', 'ada') },
        { type: 'putToken', token: token('a1', 'u1') },
        { type: 'putMail', mail: mail('m1', '2026-01-01T00:00:00.000Z') },
      ]);
      const reopened = await factory.reopen(store);
      store = reopened;
      assert.equal((await reopened.findUserByEmail('A@example.com'))?.id, 'u1');
      assert.equal((await reopened.findUserByUsername('ADA'))?.id, 'u1');
      assert.equal((await reopened.findToken('a1'))?.userId, 'u1');
      assert.equal((await reopened.listDueMail(new Date('2026-01-02T00:00:00.000Z'), 10)).length, 1);
    });

    test('concurrent commits are all durable once each has resolved', async () => {
      const commits = Array.from({ length: 50 }, (_, index) =>
        store.commit([{ type: 'putUser', user: user(`u${index}`, `user${index}@example.com`) }]),
      );
      await Promise.all(commits);
      const reopened = await factory.reopen(store);
      store = reopened;
      for (let index = 0; index < 50; index++) {
        assert.ok(await reopened.findUserById(`u${index}`), `user ${index} survived`);
      }
    });
  });
}
