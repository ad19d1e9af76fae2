import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emailKey } from '../../server/auth/canonical.js';
import { NO_PASSWORD, type UserRecord } from '../../server/store/store.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormClient, type Page, pathOf } from '../helpers/browser.js';
import { createFakeClock } from '../helpers/clock.js';
import {
  type ProviderAccount,
  ProviderBrowser,
  startOidcProvider,
  type TestOidcProvider,
} from '../helpers/oidc-provider.js';

/**
 * Issue 16 end to end over HTTP: the real app (its pages, session cookie and CSRF) against a real
 * OpenID provider (oidc-provider) on loopback, one test per rule of the issue and per failure.
 */

const PASSWORD = 'correct horse battery staple';

let app: TestApp;
let provider: TestOidcProvider;
let other: TestOidcProvider;
const clock = createFakeClock(new Date());

let counter = 0;
/** A person at `at` with a fresh subject; the email is verified unless told otherwise. */
function person(at: TestOidcProvider, fields: Partial<ProviderAccount> = {}): ProviderAccount {
  counter += 1;
  const account: ProviderAccount = {
    sub: `sub-${counter}`,
    email: `oidc-${counter}@example.com`,
    email_verified: true,
    name: `Person ${counter}`,
    ...fields,
  };
  at.setAccount(account);
  return account;
}

/** Starts the log-in at `/auth/:id…`, signs in at the provider and returns the app's answer to the callback. */
async function viaProvider(
  browser: FormClient,
  account: ProviderAccount,
  options: { path?: string; at?: TestOidcProvider; deny?: boolean; tamper?: (url: URL) => void } = {},
): Promise<Page> {
  const at = options.at ?? provider;
  const started = await browser.get(options.path ?? '/auth/test');
  assert.equal(started.status, 302, started.html);
  const callback = await new ProviderBrowser(at.issuer).signIn(started.location!, {
    login: account.sub,
    decision: options.deny ? 'deny' : 'allow',
  });
  options.tamper?.(callback);
  return browser.get(pathOf(callback.href));
}

/** Follows a "Connect" from the connections page through the provider, back to the app. */
async function connectVia(browser: FormClient, id: string, at: TestOidcProvider, account: ProviderAccount) {
  const started = await browser.get(await connectHref(browser, id));
  assert.equal(started.status, 303, started.html);
  const callback = await new ProviderBrowser(at.issuer).signIn(started.location!, { login: account.sub });
  return browser.get(pathOf(callback.href));
}

/** The page's "Connect NAME" link (it carries the page's CSRF token). */
async function connectHref(browser: FormClient, id: string): Promise<string> {
  const page = await browser.get('/account/connections');
  const href = new RegExp(`href="(/account/connections/link\\?provider=${id}&amp;_csrf=[^"]+)"`).exec(
    page.html,
  )?.[1];
  assert.ok(href, `no Connect link for ${id}`);
  return href.replaceAll('&amp;', '&');
}

async function signUpWithPassword(email: string): Promise<FormClient> {
  const browser = new FormClient(app.url);
  await browser.get('/');
  assert.equal((await browser.post('/signup', { email, password: PASSWORD })).status, 200);
  return browser;
}

async function logIn(browser: FormClient, email: string, extra: Record<string, string> = {}) {
  await browser.get('/');
  return browser.post('/login', { email, password: PASSWORD, ...extra });
}

async function userByEmail(email: string): Promise<UserRecord | null> {
  return app.store.findUserByEmailKey(emailKey(email)!);
}

async function loggedInAs(browser: FormClient): Promise<string | null> {
  const home = await browser.get('/home');
  if (home.status !== 200) return null;
  return /Logged in as ([^<\s]+)/.exec(home.html)?.[1] ?? null;
}

async function activityTypes(userId: number): Promise<string[]> {
  const entries = await app.store.listActivity(userId, { limit: 50 });
  return entries.map((entry) => `${entry.type}:${entry.method ?? ''}:${entry.detail?.provider ?? ''}`);
}

before(async () => {
  [provider, other] = await Promise.all([
    startOidcProvider({ accounts: [] }),
    startOidcProvider({ accounts: [], claimsIn: 'id-token' }),
  ]);
  app = await startApp({
    clock,
    env: {
      EMAIL_VERIFICATION_REQUIRED: 'false',
      OIDC_PROVIDERS: JSON.stringify([
        provider.entry('test', 'Test Provider'),
        other.entry('other', 'Other Provider'),
      ]),
    },
  });
  await provider.allowRedirectUri(`${app.appUrl}/auth/test/callback`);
  await other.allowRedirectUri(`${app.appUrl}/auth/other/callback`);
});
after(async () => {
  await app?.close();
  await provider?.stop();
  await other?.stop();
});

describe('accounts and linking (issue 16.3)', () => {
  test('the index page offers "Continue with" each provider, carrying a safe next', async () => {
    const browser = new FormClient(app.url);
    const index = await browser.get('/?next=/account/connections');
    assert.match(
      index.html,
      /href="\/auth\/test\?next=%2Faccount%2Fconnections">Continue with Test Provider</,
    );
    assert.match(
      index.html,
      /href="\/auth\/other\?next=%2Faccount%2Fconnections">Continue with Other Provider</,
    );
  });

  test('a new identity with a verified email gets a verified account without a password, and logs in', async () => {
    const alice = person(provider);
    const browser = new FormClient(app.url);
    const done = await viaProvider(browser, alice);
    assert.equal(done.status, 303);
    assert.equal(done.location, '/home');
    assert.equal(await loggedInAs(browser), alice.email);

    const user = (await userByEmail(alice.email!))!;
    assert.equal(user.passwordHash, NO_PASSWORD);
    assert.equal(user.emailVerified, true);
    const [identity, ...more] = await app.store.listIdentities(user.id);
    assert.equal(more.length, 0);
    assert.equal(identity?.issuer, provider.issuer);
    assert.equal(identity?.subject, alice.sub);
    assert.equal(identity?.providerId, 'test');
    const types = await activityTypes(user.id);
    assert.ok(types.includes('identity-linked:oidc:test'), types.join());
    assert.ok(types.includes('login:oidc:test'), types.join());

    // The API sees the page session and names the linked provider (never a provider token).
    const me = await browser.get('/api/users/me');
    assert.equal(me.status, 200);
    const body = JSON.parse(me.html) as Record<string, unknown>;
    assert.deepEqual(body.providers, ['test']);
    assert.doesNotMatch(me.html, /token|secret/i);

    // No password opens a password-less account.
    assert.equal((await logIn(new FormClient(app.url), alice.email!)).status, 401);
  });

  test('an identity already linked logs into its account, whatever its email says now', async () => {
    const bob = person(provider);
    await viaProvider(new FormClient(app.url), bob);
    const user = (await userByEmail(bob.email!))!;
    // The provider's address changed since: the link is by issuer and subject, not by email.
    provider.setAccount({ ...bob, email: `changed-${bob.email}` });
    const again = new FormClient(app.url);
    assert.equal((await viaProvider(again, bob)).location, '/home');
    assert.equal(await loggedInAs(again), bob.email);
    assert.equal(await userByEmail(`changed-${bob.email}`), null);
    assert.equal((await app.store.listIdentities(user.id)).length, 1);
  });

  test('a verified email an account holds never logs into it: log in with the password, confirm, then it is linked', async () => {
    const carol = person(provider);
    await signUpWithPassword(carol.email!);
    const owner = (await userByEmail(carol.email!))!;

    const browser = new FormClient(app.url);
    const asked = await viaProvider(browser, carol);
    assert.equal(asked.status, 200);
    assert.match(asked.html, /Log in to connect Test Provider/);
    assert.match(asked.html, /href="\/\?next=%2Faccount%2Fconnections%2Fconfirm"/);
    assert.equal(await loggedInAs(browser), null, 'the provider alone logged into the account');
    assert.equal(await app.store.findUserByIdentity(provider.issuer, carol.sub), null);

    // Confirming needs the account's own log-in first.
    assert.equal(
      (await browser.get('/account/connections/confirm')).location,
      '/?next=%2Faccount%2Fconnections%2Fconfirm',
    );
    const loggedIn = await logIn(browser, carol.email!, { next: '/account/connections/confirm' });
    assert.equal(loggedIn.location, '/account/connections/confirm');
    const confirm = await browser.get('/account/connections/confirm');
    assert.equal(confirm.status, 200);
    assert.match(confirm.html, /Connect Test Provider/);
    assert.equal(await app.store.findUserByIdentity(provider.issuer, carol.sub), null, 'a GET linked');
    const linked = await browser.post('/account/connections/confirm', {});
    assert.equal(linked.location, '/account/connections?linked=test');
    assert.equal((await app.store.findUserByIdentity(provider.issuer, carol.sub))?.user.id, owner.id);
    assert.ok((await activityTypes(owner.id)).includes('identity-linked:oidc:test'));
    // Spent: a second confirmation finds nothing.
    assert.equal((await browser.post('/account/connections/confirm', {})).status, 400);

    const later = new FormClient(app.url);
    assert.equal((await viaProvider(later, carol)).location, '/home');
    assert.equal(await loggedInAs(later), carol.email);
  });

  test('a pending link carried to another account links nothing', async () => {
    const dave = person(provider);
    await signUpWithPassword(dave.email!);
    const eve = `eve-${counter}@example.com`;
    await signUpWithPassword(eve);
    const browser = new FormClient(app.url);
    assert.equal((await viaProvider(browser, dave)).status, 200);
    // Someone else logs in in this browser and tries to claim the identity for their account.
    await logIn(browser, eve);
    const confirm = await browser.get('/account/connections/confirm');
    assert.equal(confirm.status, 400);
    assert.match(confirm.html, /expired, or is for another account/);
    assert.equal((await browser.post('/account/connections/confirm', {})).status, 400);
    assert.equal(await app.store.findUserByIdentity(provider.issuer, dave.sub), null);
  });

  test('a pending link expires after ten minutes', async () => {
    const frank = person(provider);
    await signUpWithPassword(frank.email!);
    const browser = new FormClient(app.url);
    assert.equal((await viaProvider(browser, frank)).status, 200);
    await logIn(browser, frank.email!);
    await browser.get('/account/connections');
    clock.advance(601);
    try {
      assert.equal((await browser.get('/account/connections/confirm')).status, 400);
      assert.equal((await browser.post('/account/connections/confirm', {})).status, 400);
    } finally {
      clock.advance(-601);
    }
    assert.equal(await app.store.findUserByIdentity(provider.issuer, frank.sub), null);
  });

  test('an unverified email never links, creates or finds an account by email', async () => {
    const taken = person(provider, { email_verified: false });
    await signUpWithPassword(taken.email!);
    const owner = (await userByEmail(taken.email!))!;
    const browser = new FormClient(app.url);
    const refused = await viaProvider(browser, taken);
    assert.equal(refused.status, 403);
    assert.match(refused.html, /did not confirm an email address/);
    assert.equal(await loggedInAs(browser), null);
    assert.equal(await app.store.findUserByIdentity(provider.issuer, taken.sub), null);
    assert.equal((await app.store.listIdentities(owner.id)).length, 0);

    // The same page when no account has the address: it tells nobody whether one exists.
    const fresh = person(provider, { email_verified: false });
    const page = await viaProvider(new FormClient(app.url), fresh);
    assert.equal(page.status, 403);
    assert.equal(page.html.replace(/value="[^"]*"/g, ''), refused.html.replace(/value="[^"]*"/g, ''));
    assert.equal(await userByEmail(fresh.email!), null);

    // No email claim at all, or a claim that is not the boolean true.
    const silent = person(provider, { email: undefined, email_verified: undefined });
    assert.equal((await viaProvider(new FormClient(app.url), silent)).status, 403);
    const stringy = person(provider, { email_verified: 'true' as unknown as boolean });
    assert.equal((await viaProvider(new FormClient(app.url), stringy)).status, 403);
    assert.equal(await userByEmail(stringy.email!), null);
  });

  test('a disabled account does not open through its provider', async () => {
    const gina = person(provider);
    await viaProvider(new FormClient(app.url), gina);
    const user = (await userByEmail(gina.email!))!;
    await app.store.setDisabled(user.id, true);
    const browser = new FormClient(app.url);
    assert.equal((await viaProvider(browser, gina)).status, 403);
    assert.equal(await loggedInAs(browser), null);
  });

  test('an account with two-factor on gets the second step after its provider, not a session', async () => {
    const hal = person(provider);
    await viaProvider(new FormClient(app.url), hal);
    const user = (await userByEmail(hal.email!))!;
    await app.store.setTotp(user.id, { secret: 'sealed-elsewhere', lastStep: 0, at: clock.now() });
    const browser = new FormClient(app.url);
    const answer = await viaProvider(browser, hal);
    assert.equal(answer.location, '/login/two-factor');
    assert.equal(await loggedInAs(browser), null);
  });
});

describe('/account/connections (issue 16.3)', () => {
  test('a password account connects a provider, sees it, and disconnects it', async () => {
    const ivy = person(provider);
    const browser = await signUpWithPassword(`pw-${ivy.email}`);
    await logIn(browser, `pw-${ivy.email}`);
    const user = (await userByEmail(`pw-${ivy.email}`))!;
    const empty = await browser.get('/account/connections');
    assert.equal(empty.status, 200);
    assert.match(empty.html, /No connected accounts yet/);

    // The log-in proves the account: the provider's email (another one) plays no part.
    const linked = await connectVia(browser, 'test', provider, ivy);
    assert.equal(linked.location, '/account/connections?linked=test');
    const page = await browser.get(linked.location!);
    assert.match(page.html, /Test Provider is connected/);
    assert.match(page.html, /Disconnect Test Provider/);
    assert.equal((await app.store.findUserByIdentity(provider.issuer, ivy.sub))?.user.id, user.id);

    assert.equal(
      (await connectVia(browser, 'test', provider, ivy)).location,
      '/account/connections?already=test',
    );

    await browser.get('/account/connections');
    const gone = await browser.post('/account/connections/unlink', {
      issuer: provider.issuer,
      subject: ivy.sub,
    });
    assert.equal(gone.location, '/account/connections?unlinked=test');
    assert.equal(await app.store.findUserByIdentity(provider.issuer, ivy.sub), null);
    const types = await activityTypes(user.id);
    assert.ok(types.includes('identity-linked:oidc:test') && types.includes('identity-unlinked:oidc:test'));
  });

  test('an identity linked to another account is not moved', async () => {
    const jo = person(provider);
    await viaProvider(new FormClient(app.url), jo);
    const browser = await signUpWithPassword(`other-${jo.email}`);
    await logIn(browser, `other-${jo.email}`);
    const refused = await connectVia(browser, 'test', provider, jo);
    assert.equal(refused.status, 409);
    assert.match(refused.html, /connected to another account here already/);
    assert.equal((await app.store.findUserByIdentity(provider.issuer, jo.sub))?.user.email, jo.email);
  });

  test('the last way to log in stays; a second provider, or a password set by the reset link, frees it', async () => {
    const kim = person(provider);
    const browser = new FormClient(app.url);
    await viaProvider(browser, kim);
    await browser.get('/account/connections');
    const refused = await browser.post('/account/connections/unlink', {
      issuer: provider.issuer,
      subject: kim.sub,
    });
    assert.equal(refused.status, 409);
    assert.match(refused.html, /only way to log in/);
    assert.match(refused.html, /Email me a link to set a password/);
    assert.ok(await app.store.findUserByIdentity(provider.issuer, kim.sub));

    const kimElsewhere = person(other, { email: `elsewhere-${kim.email}` });
    assert.equal(
      (await connectVia(browser, 'other', other, kimElsewhere)).location,
      '/account/connections?linked=other',
    );
    await browser.get('/account/connections');
    assert.equal(
      (await browser.post('/account/connections/unlink', { issuer: provider.issuer, subject: kim.sub }))
        .status,
      303,
    );
    await browser.get('/account/connections');
    assert.equal(
      (await browser.post('/account/connections/unlink', { issuer: other.issuer, subject: kimElsewhere.sub }))
        .status,
      409,
    );

    // The offered reset link sets a first password; then the provider may go.
    await browser.get('/account/connections');
    assert.equal((await browser.post('/request-password-reset', { email: kim.email! })).status, 200);
    // The reset mail itself: issue 14's "a new sign-in" for the provider sign-in may come first.
    const mail = await app.mail.waitFor(kim.email!, 30_000, (caught) =>
      caught.links.some((candidate) => candidate.includes('/reset-password?access_token=')),
    );
    const link = mail.links.find((candidate) => candidate.includes('/reset-password?access_token='))!;
    const token = new URL(link).searchParams.get('access_token')!;
    const reset = new FormClient(app.url);
    await reset.get(pathOf(link));
    const done = await reset.post('/reset-password', {
      access_token: token,
      password: PASSWORD,
      confirmation: PASSWORD,
    });
    assert.equal(done.status, 200);
    const again = new FormClient(app.url);
    assert.equal((await logIn(again, kim.email!)).status, 303);
    await again.get('/account/connections');
    assert.equal(
      (await again.post('/account/connections/unlink', { issuer: other.issuer, subject: kimElsewhere.sub }))
        .status,
      303,
    );
  });

  test('someone else’s connection cannot be removed', async () => {
    const lee = person(provider);
    await viaProvider(new FormClient(app.url), lee);
    const browser = await signUpWithPassword(`thief-${lee.email}`);
    await logIn(browser, `thief-${lee.email}`);
    await browser.get('/account/connections');
    const refused = await browser.post('/account/connections/unlink', {
      issuer: provider.issuer,
      subject: lee.sub,
    });
    assert.equal(refused.status, 404);
    assert.ok(await app.store.findUserByIdentity(provider.issuer, lee.sub));
  });

  test('connecting needs the account that started it to be logged in at the callback', async () => {
    const max = person(provider);
    const browser = await signUpWithPassword(max.email!.replace('@', '+pw@'));
    await logIn(browser, max.email!.replace('@', '+pw@'));
    const started = await browser.get(await connectHref(browser, 'test'));
    const callback = await new ProviderBrowser(provider.issuer).signIn(started.location!, { login: max.sub });
    await browser.get('/logout');
    await browser.post('/logout', {});
    const answer = await browser.get(pathOf(callback.href));
    // The flow went with the session at log-out: the callback finds none.
    assert.equal(answer.status, 400);
    assert.equal(await app.store.findUserByIdentity(provider.issuer, max.sub), null);
  });

  test('"Connect" needs the page’s CSRF token: another site cannot start a link', async () => {
    const browser = await signUpWithPassword(`csrf-${counter}@example.com`);
    await logIn(browser, `csrf-${counter}@example.com`);
    assert.equal((await browser.get('/account/connections/link?provider=test')).status, 403);
    assert.equal((await browser.get('/account/connections/link?provider=test&_csrf=forged')).status, 403);
    assert.equal((await browser.get(await connectHref(browser, 'test'))).status, 303);
  });

  test('logged out, the page sends to the log-in form', async () => {
    assert.equal(
      (await new FormClient(app.url).get('/account/connections')).location,
      '/?next=%2Faccount%2Fconnections',
    );
  });
});

describe('failures (issue 16.2, 16.5): a clear page, never a 500, nobody logged in', () => {
  test('a tampered state', async () => {
    const ned = person(provider);
    const browser = new FormClient(app.url);
    const page = await viaProvider(browser, ned, {
      tamper: (url) => url.searchParams.set('state', 'forged'),
    });
    assert.equal(page.status, 400);
    assert.match(page.html, /does not belong to the log-in this browser started/);
    assert.equal(await loggedInAs(browser), null);
    assert.equal(await userByEmail(ned.email!), null);
  });

  test('a replayed callback: in the same browser, and in another one', async () => {
    const ola = person(provider);
    const browser = new FormClient(app.url);
    const started = await browser.get('/auth/test');
    const callback = await new ProviderBrowser(provider.issuer).signIn(started.location!, { login: ola.sub });
    assert.equal((await browser.get(pathOf(callback.href))).location, '/home');
    const replay = await browser.get(pathOf(callback.href));
    assert.equal(replay.status, 400);
    assert.match(replay.html, /no log-in with Test Provider under way/);
    const elsewhere = new FormClient(app.url);
    assert.equal((await elsewhere.get(pathOf(callback.href))).status, 400);
    assert.equal(await loggedInAs(elsewhere), null);
  });

  test('a wrong or missing iss (RFC 9207 mix-up)', async () => {
    const pat = person(provider);
    const wrong = new FormClient(app.url);
    const page = await viaProvider(wrong, pat, {
      tamper: (url) => url.searchParams.set('iss', other.issuer),
    });
    assert.equal(page.status, 400);
    assert.match(page.html, /did not come from Test Provider/);
    const missing = new FormClient(app.url);
    assert.equal(
      (await viaProvider(missing, pat, { tamper: (url) => url.searchParams.delete('iss') })).status,
      400,
    );
    assert.equal(await loggedInAs(missing), null);
  });

  test('an expired flow', async () => {
    const quinn = person(provider);
    const browser = new FormClient(app.url);
    const started = await browser.get('/auth/test');
    const callback = await new ProviderBrowser(provider.issuer).signIn(started.location!, {
      login: quinn.sub,
    });
    clock.advance(601);
    try {
      const page = await browser.get(pathOf(callback.href));
      assert.equal(page.status, 400);
      assert.match(page.html, /took too long/);
    } finally {
      clock.advance(-601);
    }
    assert.equal(await userByEmail(quinn.email!), null);
  });

  test('denied consent', async () => {
    const rae = person(provider);
    const browser = new FormClient(app.url);
    const page = await viaProvider(browser, rae, { deny: true });
    assert.equal(page.status, 403);
    assert.match(page.html, /You did not allow Test Provider/);
    assert.match(page.html, /href="\/"/);
    assert.equal(await userByEmail(rae.email!), null);
  });

  test('a provider error and a code the provider refuses', async () => {
    const sam = person(provider);
    const errored = await viaProvider(new FormClient(app.url), sam, {
      tamper: (url) => {
        const { state, iss } = Object.fromEntries(url.searchParams);
        url.search = new URLSearchParams({ error: 'server_error', state: state!, iss: iss! }).toString();
      },
    });
    assert.equal(errored.status, 400);
    const forged = await viaProvider(new FormClient(app.url), sam, {
      tamper: (url) => url.searchParams.set('code', 'not-a-code'),
    });
    assert.equal(forged.status, 400);
    assert.equal(await userByEmail(sam.email!), null);
  });

  test('an unknown provider, a callback nobody started, a bad next', async () => {
    const browser = new FormClient(app.url);
    assert.equal((await browser.get('/auth/nope')).status, 404);
    assert.equal((await browser.get('/auth/nope/callback?code=x&state=y')).status, 404);
    assert.equal((await browser.get('/auth/test/callback?code=x&state=y')).status, 400);
    assert.equal((await browser.get('/auth/test/callback')).status, 400);
    const tia = person(provider);
    assert.equal(
      (await viaProvider(browser, tia, { path: '/auth/test?next=//evil.example' })).location,
      '/home',
    );
    const safe = new FormClient(app.url);
    assert.equal(
      (await viaProvider(safe, tia, { path: '/auth/test?next=%2Faccount%2Fconnections' })).location,
      '/account/connections',
    );
  });
});
