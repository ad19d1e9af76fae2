import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  callbackUrl,
  createRelyingParty,
  issuerProblem,
  OidcConfigError,
  type OidcFailureCode,
  OidcLoginError,
  type RelyingPartyOptions,
} from '../../server/oidc/relying-party.js';
import { createFakeClock, type FakeClock } from '../helpers/clock.js';
import {
  createOidcProvider,
  ProviderBrowser,
  startOidcProvider,
  type TestOidcProvider,
} from '../helpers/oidc-provider.js';

const APP_URL = 'http://localhost:3999';
const REDIRECT_URI = callbackUrl(APP_URL, 'test');

const alice = { sub: 'alice-sub', email: 'alice@example.com', email_verified: true, name: 'Alice' };
const bob = { sub: 'bob-sub', email: 'bob@example.com', email_verified: false };

function options(provider: TestOidcProvider, clock: FakeClock, extra: Partial<RelyingPartyOptions> = {}) {
  return {
    id: 'test',
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    redirectUri: REDIRECT_URI,
    production: false,
    clock,
    ...extra,
  } satisfies RelyingPartyOptions;
}

const failsWith = (code: OidcFailureCode) => (error: unknown) => {
  assert.ok(error instanceof OidcLoginError, `expected OidcLoginError, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
};

/** Real time for the provider (tokens carry real iat/exp); the fake clock only ages our flow. */
const realClock = () => createFakeClock(new Date());

test('callbackUrl is APP_URL/auth/:id/callback, with or without a trailing slash', () => {
  assert.equal(
    callbackUrl('https://app.example.com', 'google'),
    'https://app.example.com/auth/google/callback',
  );
  assert.equal(
    callbackUrl('https://app.example.com/', 'google'),
    'https://app.example.com/auth/google/callback',
  );
  assert.equal(
    callbackUrl('https://example.com/base', 'a b'),
    'https://example.com/base/auth/a%20b/callback',
  );
});

test('issuers: https always, http only on a loopback host outside production', () => {
  assert.equal(issuerProblem('https://accounts.google.com', true), null);
  assert.equal(issuerProblem('http://127.0.0.1:4000', false), null);
  assert.equal(issuerProblem('http://localhost:4000', false), null);
  assert.equal(issuerProblem('http://[::1]:4000', false), null);
  assert.match(issuerProblem('http://127.0.0.1:4000', true) ?? '', /https in production/);
  assert.match(issuerProblem('http://idp.example.com', false) ?? '', /must be https/);
  assert.match(issuerProblem('ftp://idp.example.com', false) ?? '', /must be https/);
  assert.match(issuerProblem('not a url', false) ?? '', /not a URL/);
  assert.match(issuerProblem('https://idp.example.com/?tenant=1', false) ?? '', /query/);
  const clock = createFakeClock();
  assert.throws(
    () =>
      createRelyingParty({
        id: 'local',
        issuer: 'http://127.0.0.1:4000',
        clientId: 'c',
        clientSecret: 's',
        redirectUri: REDIRECT_URI,
        production: true,
        clock,
      }),
    (error: unknown) => error instanceof OidcConfigError && /OIDC provider local/.test(error.message),
  );
});

for (const claimsIn of ['userinfo', 'id-token'] as const) {
  describe(`a log-in through the provider (claims in ${claimsIn})`, () => {
    let provider: TestOidcProvider;
    before(async () => {
      provider = await startOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice, bob], claimsIn });
    });
    after(() => provider.stop());

    test('the authorization URL carries PKCE S256, state, nonce and our redirect URI', async () => {
      const rp = createRelyingParty(options(provider, realClock()));
      const { url, flow } = await rp.beginLogin();
      const params = new URL(url).searchParams;
      assert.equal(new URL(url).origin, new URL(provider.issuer).origin);
      assert.equal(params.get('response_type'), 'code');
      assert.equal(params.get('client_id'), provider.clientId);
      assert.equal(params.get('redirect_uri'), REDIRECT_URI);
      assert.equal(params.get('scope'), 'openid email profile');
      assert.equal(params.get('code_challenge_method'), 'S256');
      assert.equal(params.get('state'), flow.state);
      assert.equal(params.get('nonce'), flow.nonce);
      assert.notEqual(params.get('code_challenge'), flow.codeVerifier);
      assert.equal(url.includes(flow.codeVerifier), false);
      assert.equal(flow.provider, 'test');
    });

    test('a verified identity comes back with issuer, subject, email and name', async () => {
      const rp = createRelyingParty(options(provider, realClock()));
      const { url, flow } = await rp.beginLogin();
      const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: alice.email });
      const identity = await rp.completeLogin(flow, callback.search);
      assert.deepEqual(identity, {
        issuer: provider.issuer,
        subject: alice.sub,
        email: alice.email,
        emailVerified: true,
        name: alice.name,
      });
    });

    test('an unverified email is reported as unverified', async () => {
      const rp = createRelyingParty(options(provider, realClock()));
      const { url, flow } = await rp.beginLogin();
      const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: bob.sub });
      const identity = await rp.completeLogin(flow, callback.searchParams);
      assert.equal(identity.subject, bob.sub);
      assert.equal(identity.email, bob.email);
      assert.equal(identity.emailVerified, false);
      assert.equal(identity.name, null);
    });
  });
}

describe('a callback that must be refused', () => {
  let provider: TestOidcProvider;
  before(async () => {
    provider = await startOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice] });
  });
  after(() => provider.stop());

  async function signedIn(clock: FakeClock = realClock()) {
    const rp = createRelyingParty(options(provider, clock));
    const { url, flow } = await rp.beginLogin();
    const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: alice.sub });
    return { rp, flow, callback };
  }

  test('a tampered state', async () => {
    const { rp, flow, callback } = await signedIn();
    const tampered = new URLSearchParams(callback.search);
    tampered.set('state', `${flow.state.slice(0, -1)}x`);
    await assert.rejects(rp.completeLogin(flow, tampered), failsWith('OIDC_STATE_MISMATCH'));
    tampered.delete('state');
    await assert.rejects(rp.completeLogin(flow, tampered), failsWith('OIDC_STATE_MISMATCH'));
    // The untouched callback still works: the refusals spent nothing.
    assert.equal((await rp.completeLogin(flow, callback.search)).subject, alice.sub);
  });

  test('a wrong or missing iss (the provider promises it)', async () => {
    const { rp, flow, callback } = await signedIn();
    const wrong = new URLSearchParams(callback.search);
    wrong.set('iss', 'https://attacker.example');
    await assert.rejects(rp.completeLogin(flow, wrong), failsWith('OIDC_ISSUER_MISMATCH'));
    wrong.delete('iss');
    await assert.rejects(rp.completeLogin(flow, wrong), failsWith('OIDC_ISSUER_MISMATCH'));
  });

  test('a replayed code', async () => {
    const { rp, flow, callback } = await signedIn();
    await rp.completeLogin(flow, callback.search);
    await assert.rejects(rp.completeLogin(flow, callback.search), failsWith('OIDC_CODE_REJECTED'));
  });

  test('a code exchanged with another flow (its PKCE verifier and nonce do not match)', async () => {
    const first = await signedIn();
    const second = await signedIn();
    const swapped = new URLSearchParams(first.callback.search);
    swapped.set('state', second.flow.state);
    await assert.rejects(second.rp.completeLogin(second.flow, swapped), failsWith('OIDC_CODE_REJECTED'));
  });

  test('an expired flow: accepted at its TTL, refused one second after', async () => {
    const clock = realClock();
    const late = await signedIn(clock);
    clock.advance(601);
    await assert.rejects(
      late.rp.completeLogin(late.flow, late.callback.search),
      failsWith('OIDC_FLOW_EXPIRED'),
    );
    const onTime = await signedIn(clock);
    clock.advance(600);
    assert.equal((await onTime.rp.completeLogin(onTime.flow, onTime.callback.search)).subject, alice.sub);
  });

  test('a flow started for another provider', async () => {
    const { rp, flow, callback } = await signedIn();
    await assert.rejects(
      rp.completeLogin({ ...flow, provider: 'other' }, callback.search),
      failsWith('OIDC_WRONG_PROVIDER'),
    );
  });

  test('denied consent, and another provider error', async () => {
    const rp = createRelyingParty(options(provider, realClock()));
    const { url, flow } = await rp.beginLogin();
    const callback = await new ProviderBrowser(provider.issuer).signIn(url, {
      login: alice.sub,
      decision: 'deny',
    });
    await assert.rejects(rp.completeLogin(flow, callback.search), failsWith('OIDC_ACCESS_DENIED'));
    const other = new URLSearchParams({ error: 'server_error', state: flow.state, iss: provider.issuer });
    await assert.rejects(rp.completeLogin(flow, other), (error: unknown) => {
      assert.ok(error instanceof OidcLoginError);
      assert.equal(error.code, 'OIDC_PROVIDER_ERROR');
      assert.equal(error.providerError, 'server_error');
      return true;
    });
  });

  test('a callback without a code', async () => {
    const { rp, flow, callback } = await signedIn();
    const noCode = new URLSearchParams(callback.search);
    noCode.delete('code');
    await assert.rejects(rp.completeLogin(flow, noCode), failsWith('OIDC_INVALID_RESPONSE'));
  });
});

describe('a provider that is down at start', () => {
  test('discovery retries until it answers', async () => {
    const provider = await createOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice] });
    const waits: number[] = [];
    const rp = createRelyingParty(
      options(provider, realClock(), {
        discovery: {
          attempts: 5,
          // Instead of sleeping: the provider comes up during the second wait.
          async wait(attempt) {
            waits.push(attempt);
            if (attempt === 2) await provider.start();
          },
        },
      }),
    );
    try {
      await rp.discover();
      assert.deepEqual(waits, [1, 2]);
      const { url, flow } = await rp.beginLogin();
      const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: alice.sub });
      assert.equal((await rp.completeLogin(flow, callback.search)).subject, alice.sub);
    } finally {
      await provider.stop();
    }
  });

  test('gives up with OIDC_PROVIDER_UNAVAILABLE, and the next log-in tries again once it is up', async () => {
    const provider = await createOidcProvider({ redirectUris: [REDIRECT_URI], accounts: [alice] });
    const rp = createRelyingParty(
      options(provider, realClock(), { discovery: { attempts: 3, wait: async () => {} } }),
    );
    try {
      await assert.rejects(rp.discover(), (error: unknown) => {
        failsWith('OIDC_PROVIDER_UNAVAILABLE')(error);
        assert.match(String((error as Error).message), /after 3 attempt/);
        return true;
      });
      await assert.rejects(rp.beginLogin(), failsWith('OIDC_PROVIDER_UNAVAILABLE'));
      await provider.start();
      const { url, flow } = await rp.beginLogin();
      const callback = await new ProviderBrowser(provider.issuer).signIn(url, { login: alice.sub });
      await provider.stop();
      // Down between the redirect and the callback: the exchange cannot reach the token endpoint.
      await assert.rejects(rp.completeLogin(flow, callback.search), failsWith('OIDC_PROVIDER_UNAVAILABLE'));
    } finally {
      await provider.stop();
    }
  });
});
