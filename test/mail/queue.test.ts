import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { newMail } from '../../server/auth/outgoing-mail.js';
import { requestPasswordReset } from '../../server/auth/password-reset.js';
import { resendVerification, signUp } from '../../server/auth/sign-up.js';
import { backoffDelay } from '../../server/mail/queue.js';
import { createSmtpMailer } from '../../server/mail/smtp.js';
import { closeHasher, createDomain, type DomainHarness, PASSWORD } from '../helpers/domain.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';

type Logged = { level: string; fields: Record<string, unknown>; message: string };

test('backoff doubles from the base delay up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10, 30].map((attempts) => backoffDelay(attempts, 1000, 60_000)),
    [1000, 2000, 4000, 8000, 60_000, 60_000],
  );
});

describe('mail queue over a real SMTP server', () => {
  let sink: SmtpSink;
  let domain: DomainHarness;
  let logged: Logged[];
  beforeEach(async () => {
    sink = await startSmtpSink();
    logged = [];
    const keep = (level: string) => (fields: object, message: string) =>
      logged.push({ level, fields: fields as Record<string, unknown>, message });
    // Real time here: retries must come due while the test waits for the server.
    domain = await createDomain(
      {},
      {
        mailer: createSmtpMailer(sink.url, 'no-reply@users.example.test'),
        log: { info: keep('info'), warn: keep('warn'), error: keep('error') },
        queue: {
          now: () => new Date(),
          baseBackoff: 20,
          maxBackoff: 100,
          pollInterval: 50,
          statsInterval: 50,
        },
        wake: true,
      },
    );
    domain.clock.set(new Date());
  });
  afterEach(async () => {
    await domain.close();
    await sink.close();
  });
  after(closeHasher);

  // A deadline in time, not in tries: each try drains, which takes longer on a loaded machine.
  async function queueEmpties() {
    await until('the queue emptying', async () => {
      await domain.drain();
      return (await domain.deps.store.mailQueueStats()).depth === 0;
    });
  }

  test('mail whose link died while the server was down is dropped and logged, never sent (issue 9.3)', async () => {
    await sink.stop();
    await signUp(domain.deps, { email: 'ada@example.com', password: PASSWORD }, 'reject');
    await resendVerification(domain.deps, 'ada@example.com');
    await resendVerification(domain.deps, 'ada@example.com');
    await requestPasswordReset(domain.deps, 'ada@example.com');
    await requestPasswordReset(domain.deps, 'ada@example.com');
    await domain.drain();
    assert.ok(
      logged.some((entry) => entry.message === 'mail delivery failed'),
      'the server was really down',
    );
    await sink.restart();
    await queueEmpties();
    const subjects = sink.mails.filter((mail) => mail.to === 'ada@example.com').map((mail) => mail.subject);
    assert.deepEqual(subjects.sort(), ['Confirm your email address', 'Reset your password']);
    const dropped = logged.filter((entry) => entry.message.startsWith('mail dropped'));
    assert.equal(dropped.length, 3, 'two dead verification links and one dead reset link');
    assert.ok(!JSON.stringify(logged).includes('token='), 'no link in the logs');
  });

  test('a permanent refusal (5xx) is given up after a few tries and logged', async () => {
    sink.refuse = true;
    sink.refuseCode = 550;
    await signUp(domain.deps, { email: 'bounce@example.com', password: PASSWORD }, 'reject');
    await queueEmpties();
    const failures = logged.filter((entry) => entry.message === 'mail delivery failed');
    const givenUp = logged.filter((entry) => entry.message === 'mail given up: refused permanently');
    assert.equal(givenUp.length, 1);
    assert.equal(givenUp[0]?.fields.attempts, 3);
    assert.equal(failures.length, 2, 'retried twice before giving up');
    assert.equal(sink.mails.length, 0);
  });

  test('a link sealed under a key no longer configured is dropped and logged, not retried', async () => {
    const mail = newMail(domain.deps, 'signup-attempt', 'rotated@example.com');
    await domain.deps.store.enqueueMail([{ ...mail, sealedLink: 'v1.not.a-real.seal' }]);
    await queueEmpties();
    assert.equal(sink.mails.length, 0);
    assert.ok(logged.some((entry) => entry.message.includes('cannot be opened with the configured keys')));
    assert.ok(!logged.some((entry) => entry.message === 'mail delivery failed'));
  });

  test("5,000 emails for one address do not hold up another person's reset email (issue 9.4)", async () => {
    await signUp(domain.deps, { email: 'victim@example.com', password: PASSWORD }, 'reject');
    await sink.waitFor('victim@example.com');
    const flood = Array.from({ length: 5000 }, () =>
      newMail(domain.deps, 'signup-attempt', 'flood@example.com'),
    );
    await domain.deps.store.enqueueMail(flood);
    await requestPasswordReset(domain.deps, 'victim@example.com');
    const reset = await sink.waitFor('victim@example.com', 30_000);
    assert.equal(reset.subject, 'Reset your password');
    const { depth } = await domain.deps.store.mailQueueStats();
    assert.ok(depth > 4000, `the flood is still queued (${depth}), the reset did not wait behind it`);
    // The stats line comes on its own timer (every 50 ms here), which need not have fired between
    // the flood and the reset's arrival: wait for it rather than expect it already.
    await until('depth and oldest age logged', () =>
      logged.some((entry) => entry.message === 'mail queue' && Number(entry.fields.depth) > 0),
    );
  });
});
