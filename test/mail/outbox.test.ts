import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient } from '../helpers/browser.js';

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
    let page = await browser.get('/dev/outbox');
    for (let tries = 0; tries < 100 && !page.html.includes('first@example.com'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await browser.get('/dev/outbox');
    }
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
});
