import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp } from '../helpers/app.js';
import { FormClient, pathOf } from '../helpers/browser.js';
import { createOidcProvider, ProviderBrowser } from '../helpers/oidc-provider.js';

// Issue 16.1: a provider that does not answer at start neither blocks nor stops the start; its
// log-in answers a clear page meanwhile, and works as soon as the provider is back.
test('a provider down at start: the app starts, says so, and logs in once it is back', async () => {
  const provider = await createOidcProvider({
    accounts: [{ sub: 'late', email: 'late@example.com', email_verified: true }],
  });
  const started = performance.now();
  const app = await startApp({
    env: { OIDC_PROVIDERS: JSON.stringify([provider.entry('late', 'Late Provider')]) },
  });
  try {
    // Discovery retries for seconds in the background; the start did not wait for it.
    assert.ok(performance.now() - started < 5000, 'the start waited on the provider');
    await provider.allowRedirectUri(`${app.appUrl}/auth/late/callback`);
    const browser = new FormClient(app.url);
    assert.equal((await browser.get('/healthz')).status, 200);
    assert.match((await browser.get('/')).html, /Continue with Late Provider/);

    const down = await browser.get('/auth/late');
    assert.equal(down.status, 503);
    assert.match(down.html, /Late Provider is not answering right now/);
    assert.match(down.html, /href="\/"/);
    // The button now says so too.
    assert.match((await browser.get('/')).html, /Late Provider is not answering right now/);

    await provider.start();
    const up = await browser.get('/auth/late');
    assert.equal(up.status, 302);
    const callback = await new ProviderBrowser(provider.issuer).signIn(up.location!, { login: 'late' });
    assert.equal((await browser.get(pathOf(callback.href))).location, '/home');
    assert.doesNotMatch((await browser.get('/')).html, /not answering/);
  } finally {
    await app.close();
    await provider.stop();
  }
});
