import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContractContext } from './contract.js';
import { at, newMail } from './contract-fixtures.js';

/** The mail queue: due order, fairness, claims that lapse, and finish/retry checked against them. */
export function mailContract(context: ContractContext) {
  test('claims due mail by priority then due time, one per recipient per claim, leaving mail not yet due', async () => {
    const { store } = context;
    await store.enqueueMail([
      newMail('notice@example.com', at(0).toISOString(), 1),
      newMail('flood@example.com', at(2).toISOString()),
      newMail('flood@example.com', at(1).toISOString()),
      newMail('flood@example.com', at(1).toISOString()),
      newMail('later@example.com', at(3600).toISOString()),
      newMail('victim@example.com', at(3).toISOString()),
    ]);
    const first = await store.claimDueMail(at(5), at(65), 10);
    assert.deepEqual(
      first.map((mail) => [mail.to, mail.nextAttempt]),
      [
        ['flood@example.com', at(1).toISOString()],
        ['victim@example.com', at(3).toISOString()],
        ['notice@example.com', at(0).toISOString()],
      ],
    );
    assert.ok(
      first.every((mail) => mail.claim === first[0]?.claim && mail.claimedUntil === at(65).toISOString()),
    );
    const second = await store.claimDueMail(at(5), at(65), 10);
    assert.deepEqual(
      second.map((mail) => mail.to),
      ['flood@example.com'],
      "the flooded address's next mail, and nothing already claimed",
    );
    assert.deepEqual(
      (await store.claimDueMail(at(5), at(65), 1)).map((mail) => mail.to),
      ['flood@example.com'],
    );
    assert.deepEqual(await store.claimDueMail(at(5), at(65), 10), []);
    const stats = await store.mailQueueStats();
    assert.equal(stats.depth, 6);
    assert.equal(stats.oldestCreated, at(0).toISOString());
  });

  test('finish and retry hold only for the current claim; a lapsed claim is claimed again', async () => {
    const { store } = context;
    const [queued] = await store.enqueueMail([newMail('ada@example.com')]);
    assert.equal(queued?.id, 1);
    assert.equal(queued?.attempts, 0);
    const [mine] = await store.claimDueMail(at(1), at(61), 10);
    assert.ok(mine);
    assert.equal(await store.finishMail(mine.id, 'somebody else'), false);
    assert.deepEqual(await store.claimDueMail(at(60), at(120), 10), [], 'held until its claim lapses');
    const [theirs] = await store.claimDueMail(at(62), at(122), 10);
    assert.ok(theirs && theirs.claim !== mine.claim, 'a crashed sender’s mail goes to another');
    assert.equal(await store.finishMail(mine.id, mine.claim), false, 'a late sender finishes nothing');
    assert.equal(
      await store.retryMail(mine.id, mine.claim, { nextAttempt: at(200), error: 'late' }),
      false,
      'nor does it reschedule',
    );
    assert.equal(
      await store.retryMail(theirs.id, theirs.claim, { nextAttempt: at(300), error: '421 busy' }),
      true,
    );
    assert.deepEqual(await store.claimDueMail(at(299), at(400), 10), [], 'backoff: not before nextAttempt');
    const [again] = await store.claimDueMail(at(300), at(400), 10);
    assert.equal(again?.attempts, 1);
    assert.equal(again?.lastError, '421 busy');
    assert.equal(await store.finishMail(again!.id, again!.claim), true);
    assert.equal(await store.finishMail(again!.id, again!.claim), false, 'a sent mail is gone');
    assert.equal(await store.retryMail(again!.id, again!.claim, { nextAttempt: at(500), error: 'x' }), false);
    assert.deepEqual(await store.claimDueMail(at(10_000), at(10_060), 10), [], 'never resurrected');
    assert.deepEqual(await store.mailQueueStats(), { depth: 0, oldestCreated: null });
  });

  test("a recipient's next mail comes up once the first is finished, whatever its priority", async () => {
    const { store } = context;
    await store.enqueueMail([
      newMail('ada@example.com', at(0).toISOString(), 0),
      newMail('ada@example.com', at(0).toISOString(), 1),
    ]);
    const [link] = await store.claimDueMail(at(1), at(61), 10);
    assert.equal(link?.priority, 0);
    assert.equal(await store.finishMail(link!.id, link!.claim), true);
    const [notice] = await store.claimDueMail(at(1), at(61), 10);
    assert.equal(notice?.priority, 1);
  });

  test('5,000 queued mails for one address do not hold up another person’s reset', async () => {
    const { store } = context;
    await store.enqueueMail(Array.from({ length: 5000 }, () => newMail('flood@example.com')));
    await store.enqueueMail([newMail('victim@example.com', at(1).toISOString())]);
    const claimed = await store.claimDueMail(at(2), at(62), 5);
    assert.deepEqual(
      claimed.map((mail) => mail.to),
      ['flood@example.com', 'victim@example.com'],
    );
  });

  test('queued mail and its place survive a reopen; mail ids carry on', async () => {
    await context.store.enqueueMail([
      newMail('a@example.com'),
      newMail('b@example.com', at(10).toISOString()),
    ]);
    const [claimed] = await context.store.claimDueMail(at(1), at(61), 1);
    assert.equal(claimed?.to, 'a@example.com');
    await context.store.finishMail(claimed!.id, claimed!.claim);
    context.store = await context.factory.reopen(context.store);
    const [next] = await context.store.claimDueMail(at(20), at(80), 10);
    assert.equal(next?.to, 'b@example.com');
    assert.equal(next?.id, 2);
    const [added] = await context.store.enqueueMail([newMail('c@example.com')]);
    assert.equal(added?.id, 3);
  });
}
