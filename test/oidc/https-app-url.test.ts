import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailKey } from '../../server/auth/canonical.js';
import { startApp } from '../helpers/app.js';
import { FormClient, pathOf } from '../helpers/browser.js';
import { ProviderBrowser, startOidcProvider } from '../helpers/oidc-provider.js';

// Behind a TLS proxy (APP_URL https, plain HTTP to the app): the redirect URI is APP_URL's, the
// cookies are Secure and __Host-, and "log in first, then connect" works through them.
test('with an https APP_URL: the redirect URI, __Host- cookies, and a pending link', async () => {
  const appUrl = 'https://users.example.test';
  const provider = await startOidcProvider({
    redirectUris: [`${appUrl}/auth/test/callback`],
    accounts: [{ sub: 'tls', email: 'tls@example.com', email_verified: true }],
  });
  const app = await startApp({
    env: {
      APP_URL: appUrl,
      EMAIL_VERIFICATION_REQUIRED: 'false',
      OIDC_PROVIDERS: JSON.stringify([provider.entry('test', 'Test Provider')]),
    },
  });
  try {
    const owner = new FormClient(app.url);
    await owner.get('/');
    await owner.post('/signup', { email: 'tls@example.com', password: 'correct horse battery staple' });

    const browser = new FormClient(app.url);
    const started = await browser.get('/auth/test');
    assert.equal(new URL(started.location!).searchParams.get('redirect_uri'), `${appUrl}/auth/test/callback`);
    const callback = await new ProviderBrowser(provider.issuer).signIn(started.location!, { login: 'tls' });
    assert.equal(callback.origin, appUrl);
    const asked = await browser.get(pathOf(callback.href));
    assert.equal(asked.status, 200);
    const pending = asked.headers.getSetCookie().find((line) => line.startsWith('__Host-oidc-link='));
    assert.ok(pending, 'no __Host- pending-link cookie');
    assert.match(pending, /; secure/i);
    assert.match(pending, /; httponly/i);

    await browser.get('/');
    await browser.post('/login', { email: 'tls@example.com', password: 'correct horse battery staple' });
    await browser.get('/account/connections/confirm');
    assert.equal(
      (await browser.post('/account/connections/confirm', {})).location,
      '/account/connections?linked=test',
    );
    const user = await app.store.findUserByEmailKey(emailKey('tls@example.com')!);
    assert.equal((await app.store.findUserByIdentity(provider.issuer, 'tls'))?.user.id, user?.id);
  } finally {
    await app.close();
    await provider.stop();
  }
});
