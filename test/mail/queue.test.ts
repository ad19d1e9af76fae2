import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backoffDelay } from '../../server/mail/queue.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient } from '../helpers/browser.js';

test('backoff doubles from the base delay up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10, 30].map((attempts) => backoffDelay(attempts, 1000, 60_000)),
    [1000, 2000, 4000, 8000, 60_000, 60_000],
  );
});

describe('durable mail through an SMTP outage', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('a reset email refused by the server is retried until it is taken, and the page never changes', async () => {
    const browser = new FormClient(app.url);
    await browser.get('/');
    await browser.post('/signup', { email: 'outage@example.com', password: 'correct horse battery staple' });
    await app.mail.waitFor('outage@example.com');

    app.mail.refuse = true;
    await browser.get('/');
    const page = await browser.post('/request-password-reset', { email: 'outage@example.com' });
    assert.equal(page.status, 200);
    assert.match(page.html, /Check your email for further instructions/);
    // Wait until the queue has tried and failed at least once (it records the failure in the store).
    for (let tries = 0; tries < 100; tries++) {
      const pending = await app.store.listDueMail(new Date(Date.now() + 60_000), 10);
      if (pending.some((mail) => mail.attempts > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pending = await app.store.listDueMail(new Date(Date.now() + 60_000), 10);
    assert.equal(pending.length, 1, 'the message waits in the store');
    assert.ok(pending[0]!.attempts >= 1);
    assert.ok(pending[0]!.lastError);

    app.mail.refuse = false;
    const reset = await app.mail.waitFor('outage@example.com', 15_000);
    assert.match(reset.subject, /Reset your password/);
    await app.server.deps.store.commit([]);
    for (
      let tries = 0;
      tries < 50 && (await app.store.listDueMail(new Date(Date.now() + 60_000), 10)).length > 0;
      tries++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(
      (await app.store.listDueMail(new Date(Date.now() + 60_000), 10)).length,
      0,
      'sent mail leaves the store',
    );
  });
});
