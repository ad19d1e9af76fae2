import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import {
  blockExternalRequests,
  type ProviderAccount,
  signInOnProviderPage,
  startOidcProvider,
  type TestOidcProvider,
} from '../test/helpers/oidc-provider.js';
import { expect, loginCard, newPassword, test, uniqueEmail } from './fixtures.js';
import { type OwnApp, startOwnApp } from './support/own-app.js';

/**
 * Issue 16 in Chromium: "Continue with …" on the index page, the provider's own sign-in and
 * consent pages (a real oidc-provider on loopback, started by this worker), back to /home; then
 * connecting and disconnecting providers from /account/connections. The app is a copy of its own
 * (support/own-app.ts) because it must know the providers' issuers when it starts.
 */

let app: OwnApp;
let provider: TestOidcProvider;
let other: TestOidcProvider;

// One app and two providers for the file: its tests run in order in one worker.
test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [provider, other] = await Promise.all([
    startOidcProvider({ accounts: [] }),
    startOidcProvider({ accounts: [], claimsIn: 'id-token' }),
  ]);
  app = await startOwnApp({
    EMAIL_VERIFICATION_REQUIRED: 'false',
    OIDC_PROVIDERS: JSON.stringify([
      provider.entry('test', 'Test Provider'),
      other.entry('other', 'Other Provider'),
    ]),
  });
  await provider.allowRedirectUri(`${app.url}/auth/test/callback`);
  await other.allowRedirectUri(`${app.url}/auth/other/callback`);
});

test.afterAll(async () => {
  await app?.close();
  await provider?.stop();
  await other?.stop();
});

function personAt(at: TestOidcProvider, email = uniqueEmail('oidc')): ProviderAccount {
  const account = {
    sub: `sub-${randomUUID().slice(0, 8)}`,
    email,
    email_verified: true,
    name: 'Test Person',
  };
  at.setAccount(account);
  return account;
}

async function continueWith(page: Page, name: string, account: ProviderAccount): Promise<void> {
  await page.getByRole('link', { name: `Continue with ${name}` }).click();
  await expect(page.locator('main[data-prompt="login"]')).toBeVisible();
  await signInOnProviderPage(page, { login: account.sub });
}

test.beforeEach(async ({ page }) => {
  // The provider's pages load nothing from the internet; nothing else may either.
  await blockExternalRequests(page);
});

test('"Continue with Test Provider" signs a new person in on the provider’s pages and lands on /home', async ({
  page,
  checkPage,
}) => {
  const alice = personAt(provider);
  await page.goto(`${app.url}/`);
  await expect(loginCard(page).getByRole('link', { name: 'Continue with Test Provider' })).toBeVisible();
  await checkPage('oidc-index');
  await continueWith(page, 'Test Provider', alice);
  await expect(page).toHaveURL(`${app.url}/home`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${alice.email}`);

  // Connect a second provider, then disconnect the first; the last one stays.
  await page.getByRole('link', { name: 'Connected accounts' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connected accounts');
  await expect(page.getByRole('heading', { name: 'Test Provider', level: 3 })).toBeVisible();
  await checkPage('oidc-connections');
  await page.getByRole('link', { name: 'Connect Other Provider' }).click();
  await signInOnProviderPage(page, { login: personAt(other, uniqueEmail('elsewhere')).sub });
  await expect(page.getByText('Other Provider is connected')).toBeVisible();
  await page.getByRole('button', { name: 'Disconnect Test Provider' }).click();
  await expect(page.getByText('Test Provider is disconnected.')).toBeVisible();
  await page.getByRole('button', { name: 'Disconnect Other Provider' }).click();
  await expect(page.getByRole('alert')).toContainText('only way to log in');
  await expect(page.getByRole('button', { name: 'Email me a link to set a password' })).toBeVisible();
  await checkPage('oidc-connections-last');
});

test('on a phone (390×844): Continue with a provider lands on /home', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const bob = personAt(provider);
  await page.goto(`${app.url}/`);
  await continueWith(page, 'Test Provider', bob);
  await expect(page).toHaveURL(`${app.url}/home`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${bob.email}`);
});

test('an existing account’s email: log in with its password first, confirm, then the provider logs in', async ({
  page,
  checkPage,
}) => {
  const person = { email: uniqueEmail('oidc-owner'), password: newPassword() };
  await page.goto(`${app.url}/`);
  const signup = page.getByRole('region', { name: 'Sign up' });
  await signup.getByLabel('Email').fill(person.email);
  await signup.getByLabel('Password').fill(person.password);
  await signup.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');

  const carol = personAt(provider, person.email);
  await page.goto(`${app.url}/`);
  await continueWith(page, 'Test Provider', carol);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in to connect Test Provider');
  await checkPage('oidc-log-in-first');
  await page.getByRole('link', { name: `Log in to ${person.email}` }).click();
  await loginCard(page).getByLabel('Email or username').fill(person.email);
  await loginCard(page).getByLabel('Password').fill(person.password);
  await loginCard(page).getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connect Test Provider');
  await checkPage('oidc-confirm');
  await page.getByRole('button', { name: 'Connect Test Provider' }).click();
  await expect(page.getByText('Test Provider is connected')).toBeVisible();

  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
  // The provider still has its session: it answers at once, straight back to /home.
  await page.getByRole('link', { name: 'Continue with Test Provider' }).click();
  await expect(page).toHaveURL(`${app.url}/home`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
});
