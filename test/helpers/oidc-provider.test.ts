import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  ProviderBrowser,
  ProviderPageError,
  startOidcProvider,
  type TestOidcProvider,
} from './oidc-provider.js';

// The helper is a test fixture other tests lean on, so it is proven here against the certified
// relying-party library, not against our own relying-party module.

const REDIRECT_URI = 'http://localhost:3999/auth/test/callback';

const alice = { sub: 'alice-sub', email: 'alice@example.com', email_verified: true, name: 'Alice' };

async function discover(provider: TestOidcProvider): Promise<client.Configuration> {
  return client.discovery(new URL(provider.issuer), provider.clientId, provider.clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

async function beginFlow(config: client.Configuration) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, codeVerifier, state, nonce };
}

for (const claimsIn of ['userinfo', 'id-token'] as const) {
  describe(`the test provider (claims in ${claimsIn})`, () => {
    let provider: TestOidcProvider;
    before(async () => {
      provider = await startOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice], claimsIn });
    });
    after(() => provider.stop());

    test('a full authorization-code flow with PKCE: code, state and iss come back, the ID token is valid', async () => {
      const config = await discover(provider);
      assert.equal(config.serverMetadata().issuer, provider.issuer);
      assert.equal(config.serverMetadata().authorization_response_iss_parameter_supported, true);
      const flow = await beginFlow(config);

      const callback = await new ProviderBrowser(provider.issuer).signIn(flow.url, { login: alice.email });
      assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
      assert.equal(callback.searchParams.get('state'), flow.state);
      assert.equal(callback.searchParams.get('iss'), provider.issuer);
      assert.ok(callback.searchParams.get('code'));

      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      assert.ok(claims);
      assert.equal(claims.iss, provider.issuer);
      assert.equal(claims.sub, alice.sub);
      assert.equal(claims.aud, provider.clientId);
      assert.equal(claims.nonce, flow.nonce);
      if (claimsIn === 'id-token') {
        assert.equal(claims.email, alice.email);
        assert.equal(claims.email_verified, true);
      } else {
        assert.equal(claims.email, undefined);
      }
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
      assert.deepEqual(
        { email: userinfo.email, email_verified: userinfo.email_verified, name: userinfo.name },
        { email: alice.email, email_verified: true, name: alice.name },
      );
      assert.equal('password' in userinfo, false);
    });
  });
}

describe('the test provider refuses what a real one refuses', () => {
  let provider: TestOidcProvider;
  before(async () => {
    provider = await startOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice] });
  });
  after(() => provider.stop());

  test('a wrong password stays on the login page with a 401', async () => {
    const config = await discover(provider);
    const flow = await beginFlow(config);
    const refused = new ProviderBrowser(provider.issuer).signIn(flow.url, {
      login: alice.sub,
      password: 'nope',
    });
    await assert.rejects(refused, (error: unknown) => {
      assert.ok(error instanceof ProviderPageError);
      assert.equal(error.status, 401);
      assert.match(error.html, /Wrong email or password/);
      return true;
    });
  });

  test('denied consent sends the client error=access_denied with state and iss', async () => {
    const config = await discover(provider);
    const flow = await beginFlow(config);
    const callback = await new ProviderBrowser(provider.issuer).signIn(flow.url, {
      login: alice.sub,
      decision: 'deny',
    });
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), flow.state);
    assert.equal(callback.searchParams.get('iss'), provider.issuer);
    await assert.rejects(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      }),
      client.AuthorizationResponseError,
    );
  });

  test('a flow without PKCE is refused by the provider', async () => {
    const config = await discover(provider);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: client.randomState(),
    });
    const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: alice.sub });
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
  });

  test('a code is spent once: the second exchange is invalid_grant', async () => {
    const config = await discover(provider);
    const flow = await beginFlow(config);
    const callback = await new ProviderBrowser(provider.issuer).signIn(flow.url, { login: alice.sub });
    const checks = {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    };
    await client.authorizationCodeGrant(config, callback, checks);
    await assert.rejects(client.authorizationCodeGrant(config, callback, checks), (error: unknown) => {
      assert.ok(error instanceof client.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
  });

  test('the same browser signs in again without the login form; a changed account shows in the claims', async () => {
    const config = await discover(provider);
    const browser = new ProviderBrowser(provider.issuer);
    await browser.signIn((await beginFlow(config)).url, { login: alice.sub });
    provider.setAccount({ ...alice, email: 'alice.new@example.com', email_verified: false });
    const flow = await beginFlow(config);
    // A wrong password would fail if the form were shown: it is not, the provider session is reused.
    const callback = await browser.signIn(flow.url, { login: alice.sub, password: 'not used' });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
    assert.equal(userinfo.email, 'alice.new@example.com');
    assert.equal(userinfo.email_verified, false);
    provider.setAccount(alice);
  });
});

test('a stopped provider refuses connections and answers again after start(), same issuer and keys', async () => {
  const provider = await startOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice] });
  try {
    const config = await discover(provider);
    await provider.stop();
    assert.equal(provider.running, false);
    await assert.rejects(discover(provider));
    await provider.start();
    const again = await discover(provider);
    assert.equal(again.serverMetadata().issuer, provider.issuer);
    // The configuration made before the restart still verifies ID tokens signed after it.
    const flow = await beginFlow(config);
    const callback = await new ProviderBrowser(provider.issuer).signIn(flow.url, { login: alice.sub });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    assert.equal(tokens.claims()?.sub, alice.sub);
  } finally {
    await provider.stop();
  }
});

test('a redirect URI known only after the app listens can be registered later; an unregistered one is refused', async () => {
  const provider = await startOidcProvider({ accounts: [alice] });
  try {
    const config = await discover(provider);
    const refused = new ProviderBrowser(provider.issuer).signIn((await beginFlow(config)).url, {
      login: alice.sub,
    });
    await assert.rejects(refused, (error: unknown) => {
      assert.ok(error instanceof ProviderPageError);
      assert.equal(error.status, 400);
      assert.match(error.html, /redirect_uri/);
      return true;
    });
    await provider.allowRedirectUri(REDIRECT_URI);
    const flow = await beginFlow(config);
    const callback = await new ProviderBrowser(provider.issuer).signIn(flow.url, { login: alice.sub });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    assert.equal(tokens.claims()?.sub, alice.sub);
    assert.deepEqual(provider.entry('test', 'Test'), {
      id: 'test',
      name: 'Test',
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    });
  } finally {
    await provider.stop();
  }
});
