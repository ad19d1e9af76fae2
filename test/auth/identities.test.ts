import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emailKey } from '../../server/auth/canonical.js';
import { AuthError } from '../../server/auth/errors.js';
import {
  completePendingLink,
  linkedProviders,
  linkToAccount,
  openPendingLink,
  PENDING_LINK_SECONDS,
  type ProviderIdentity,
  signInWithIdentity,
  unlinkFromAccount,
} from '../../server/auth/identities.js';
import { logIn } from '../../server/auth/sessions.js';
import { secondStepFor } from '../../server/auth/two-factor-login.js';
import { NO_PASSWORD } from '../../server/store/store.js';
import { domainPerTest, PASSWORD, verifiedUser } from '../helpers/domain.js';

/** Issue 16's rules on the domain alone (in-memory store, fake clock); the HTTP side is test/oidc/. */

const ISSUER = 'https://id.example.com';
const identity = (subject: string, email: string | null, emailVerified = true): ProviderIdentity => ({
  issuer: ISSUER,
  subject,
  email,
  emailVerified,
  name: null,
});
const failsWith = (code: string) => (error: unknown) => {
  assert.ok(error instanceof AuthError, String(error));
  assert.equal(error.code, code);
  return true;
};

describe('provider sign-in', () => {
  const domain = domainPerTest();

  test('a new verified identity: a verified account without a password, then the same account again', async () => {
    const { deps } = domain();
    const first = await signInWithIdentity(deps, 'idp', identity('s1', 'New@Example.com'));
    assert.equal(first.outcome, 'session');
    assert.ok(first.outcome === 'session' && first.created);
    const user = (await deps.store.findUserByEmailKey(emailKey('new@example.com')!))!;
    assert.equal(user.passwordHash, NO_PASSWORD);
    assert.equal(user.emailVerified, true);
    const again = await signInWithIdentity(deps, 'idp', identity('s1', 'other@example.com', false));
    assert.ok(again.outcome === 'session' && !again.created && again.session.user.id === user.id);
    assert.deepEqual(await linkedProviders(deps, user.id), ['idp']);
    // An empty hash never matches a password.
    await assert.rejects(
      logIn(deps, { email: 'new@example.com', password: PASSWORD }),
      failsWith('LOGIN_FAILED'),
    );
  });

  test('an email an account holds: no session, a sealed link for that account only, ten minutes', async () => {
    const { deps, clock } = domain();
    const owner = await verifiedUser(domain(), 'owner@example.com');
    const other = await verifiedUser(domain(), 'other@example.com');
    const answer = await signInWithIdentity(deps, 'idp', identity('s2', 'OWNER@example.com'));
    assert.equal(answer.outcome, 'link-required');
    if (answer.outcome !== 'link-required') return;
    assert.equal(await deps.store.findUserByIdentity(ISSUER, 's2'), null);
    assert.throws(() => openPendingLink(deps, answer.ticket, other), failsWith('LINK_EXPIRED'));
    assert.throws(() => openPendingLink(deps, `${answer.ticket}x`, owner), failsWith('LINK_EXPIRED'));
    clock.advance(PENDING_LINK_SECONDS);
    assert.equal(openPendingLink(deps, answer.ticket, owner).subject, 's2');
    clock.advance(1);
    await assert.rejects(completePendingLink(deps, answer.ticket, owner), failsWith('LINK_EXPIRED'));
    clock.advance(-1);
    const linked = await completePendingLink(deps, answer.ticket, owner);
    assert.equal(linked.providerId, 'idp');
    assert.equal((await deps.store.findUserByIdentity(ISSUER, 's2'))?.user.id, owner.id);
  });

  test('a two-factor ticket (sealed with the same key) is not a pending link', async () => {
    const { deps } = domain();
    const owner = await verifiedUser(domain(), 'twofa@example.com');
    await deps.store.setTotp(owner.id, { secret: 'sealed', lastStep: 0, at: deps.clock.now() });
    const step = (await secondStepFor(deps, owner))!;
    const sealed = step.ticket.slice(step.ticket.indexOf('.') + 1);
    assert.throws(() => openPendingLink(deps, sealed, owner), failsWith('LINK_EXPIRED'));
  });

  test('without a verified, usable email nothing is found, made or linked by it', async () => {
    const { deps } = domain();
    const owner = await verifiedUser(domain(), 'held@example.com');
    for (const candidate of [
      identity('s3', 'held@example.com', false),
      identity('s4', null),
      identity('s5', 'not an address'),
      identity('s6', 'fresh@example.com', false),
    ]) {
      await assert.rejects(
        signInWithIdentity(deps, 'idp', candidate),
        failsWith('IDENTITY_EMAIL_UNVERIFIED'),
      );
    }
    assert.equal(await deps.store.findUserByEmailKey(emailKey('fresh@example.com')!), null);
    assert.equal((await deps.store.listIdentities(owner.id)).length, 0);
  });

  test('two first sign-ins of one identity at once make one account', async () => {
    const { deps } = domain();
    const [a, b] = await Promise.all([
      signInWithIdentity(deps, 'idp', identity('s7', 'twice@example.com')),
      signInWithIdentity(deps, 'idp', identity('s7', 'twice@example.com')),
    ]);
    assert.ok(a.outcome === 'session' && b.outcome === 'session');
    assert.equal(a.session.user.id, b.session.user.id);
  });
});

describe('connections', () => {
  const domain = domainPerTest();

  test('linking while logged in ignores the email; an identity of another account is not moved', async () => {
    const { deps } = domain();
    const ada = await verifiedUser(domain(), 'ada@example.com');
    const bob = await verifiedUser(domain(), 'bob@example.com');
    const first = await linkToAccount(deps, ada, 'idp', identity('s8', 'unverified@example.com', false));
    assert.equal(first.already, false);
    assert.equal((await linkToAccount(deps, ada, 'idp', identity('s8', null))).already, true);
    await assert.rejects(linkToAccount(deps, bob, 'idp', identity('s8', null)), failsWith('IDENTITY_TAKEN'));
  });

  test('the last way to log in stays, even when two unlinks race', async () => {
    const { deps } = domain();
    const made = await signInWithIdentity(deps, 'idp', identity('s9', 'solo@example.com'));
    assert.ok(made.outcome === 'session');
    const user = made.session.user;
    await assert.rejects(unlinkFromAccount(deps, user.id, ISSUER, 's9'), failsWith('LAST_SIGN_IN_METHOD'));
    await linkToAccount(deps, user, 'other', {
      ...identity('s10', null),
      issuer: 'https://other.example.com',
    });
    const results = await Promise.allSettled([
      unlinkFromAccount(deps, user.id, ISSUER, 's9'),
      unlinkFromAccount(deps, user.id, 'https://other.example.com', 's10'),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal((await deps.store.listIdentities(user.id)).length, 1);
    await assert.rejects(unlinkFromAccount(deps, user.id, ISSUER, 'nobody'), failsWith('USER_NOT_FOUND'));
  });

  test('an account with a password may unlink its only identity; each change is in its activity', async () => {
    const { deps } = domain();
    const ada = await verifiedUser(domain(), 'pw@example.com');
    await linkToAccount(deps, ada, 'idp', identity('s11', null), { ip: '192.0.2.1', session: 'browser' });
    await unlinkFromAccount(deps, ada.id, ISSUER, 's11');
    const types = (await deps.store.listActivity(ada.id, { limit: 10 })).map(
      (entry) => `${entry.type}:${entry.method}:${entry.detail?.provider}`,
    );
    assert.ok(types.includes('identity-linked:oidc:idp'), types.join());
    assert.ok(types.includes('identity-unlinked:oidc:idp'), types.join());
  });
});
