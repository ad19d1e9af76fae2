import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient, outboxShowing } from '../helpers/browser.js';

describe('the development outbox (no SMTP_URL)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { SMTP_URL: '' } });
  });
  after(async () => {
    await app.close();
  });

  test('lists each email newest first with its link clickable', async () => {
    const browser = new FormClient(app.url);
    await browser.get('/');
    await browser.post('/signup', { email: 'first@example.com', password: 'correct horse battery staple' });
    await browser.get('/');
    await browser.post('/signup', { email: 'second@example.com', password: 'correct horse battery staple' });
    // Both emails, not only the first: with the second still queued its indexOf is -1 and
    // "newest first" would hold without being tested.
    const page = await outboxShowing(browser, 'first@example.com', 'second@example.com');
    assert.equal(page.status, 200);
    assert.ok(
      page.html.indexOf('second@example.com') < page.html.indexOf('first@example.com'),
      'newest first',
    );
    const link = /href="(http:\/\/[^"]+\/verify\?[^"]+)"/.exec(page.html)?.[1];
    assert.ok(link, 'the verification link is a clickable anchor');
    // Issue 10.6: opening the link changes nothing; its page asks to confirm (a POST).
    const opened = await browser.get(link.replaceAll('&amp;', '&'));
    assert.equal(opened.status, 200);
    assert.match(opened.html, /<form[^>]+method="post"/i);
  });

  test('shows each email as its HTML in a sandboxed frame, and "Clear outbox" empties it', async () => {
    const browser = new FormClient(app.url);
    await browser.open('/');
    await browser.post('/signup', { email: 'framed@example.com', password: 'correct horse battery staple' });
    const page = await outboxShowing(browser, 'framed@example.com');
    const src = /<iframe class="mail__html" src="([^"]+)" sandbox="([^"]*)"/.exec(page.html);
    assert.ok(src, 'an iframe per email');
    assert.doesNotMatch(src[2] ?? '', /allow-scripts|allow-same-origin|allow-forms/);
    const frame = await browser.get(src[1] ?? '');
    assert.equal(frame.status, 200);
    const csp = frame.headers.get('content-security-policy') ?? '';
    assert.match(csp, /^sandbox /);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(frame.html, /framed@example\.com|verify\?/);
    assert.match(page.html, /<summary>Show the text part<\/summary>/);
    assert.equal((await browser.get('/dev/outbox/not-an-id/html')).status, 400);
    assert.equal((await browser.get('/dev/outbox/3f2b8c1e-0000-4000-8000-000000000000/html')).status, 404);

    assert.equal((await browser.post('/dev/outbox/clear', { _csrf: 'forged' })).status, 403);
    await browser.get('/dev/outbox');
    const cleared = await browser.post('/dev/outbox/clear', {});
    assert.equal(cleared.status, 303);
    const empty = await browser.get('/dev/outbox');
    assert.match(empty.html, /No emails yet\./);
    assert.match(empty.html, /The outbox is empty now\./);
  });
});
