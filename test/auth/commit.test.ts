import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { requestPasswordReset } from '../../server/auth/password-reset.js';
import { logIn } from '../../server/auth/sessions.js';
import { signUp } from '../../server/auth/sign-up.js';
import { closeHasher, createDomain, type DomainHarness, PASSWORD, verifiedUser } from '../helpers/domain.js';

describe('auth/commit: the wake-up travels with the mail', () => {
  let domain: DomainHarness;
  let wakes: number;
  beforeEach(async () => {
    domain = await createDomain();
    wakes = 0;
    domain.deps.events.on('mailQueued', () => wakes++);
  });
  afterEach(async () => {
    await domain.close();
  });
  after(closeHasher);

  test('each write that queues mail wakes the queue once; others never do', async () => {
    await signUp(domain.deps, { email: 'ada@example.com', password: PASSWORD }, 'reject');
    assert.equal(wakes, 1, 'sign-up');
    await signUp(domain.deps, { email: 'ADA@example.com', password: PASSWORD }, 'notify-owner');
    assert.equal(wakes, 2, 'the owner is told');
    await verifiedUser(domain, 'bob@example.com');
    const before = wakes;
    await logIn(domain.deps, { email: 'bob@example.com', password: PASSWORD });
    await requestPasswordReset(domain.deps, 'ghost@example.com');
    assert.equal(wakes, before, 'no mail, no wake-up');
    await requestPasswordReset(domain.deps, 'bob@example.com');
    assert.equal(wakes, before + 1);
  });
});
