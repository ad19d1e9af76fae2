import type { CDPSession, Page } from '@playwright/test';
import {
  expect,
  mainLogOutButton,
  newPassword,
  signUp,
  test,
  uniqueEmail,
  verifyFromEmail,
} from './fixtures.js';

/**
 * Issue 17: passkeys in the real browser with the Chrome DevTools Protocol's virtual authenticator
 * (a platform authenticator with resident keys and user verification, as a phone or laptop has).
 * The app's APP_URL is http://localhost:PORT (an IP cannot be a relying party id), so the pages
 * are opened on localhost.
 */
async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

const onLocalhost = (baseURL: string | undefined, path: string) =>
  new URL(path, (baseURL ?? '').replace('127.0.0.1', 'localhost')).href;

test('register a passkey, log out, log in with the passkey alone; once removed it no longer works', async ({
  page,
  mailbox,
  checkPage,
  baseURL,
}) => {
  const person = { email: uniqueEmail('passkey'), password: newPassword() };
  await page.goto(onLocalhost(baseURL, '/'));
  await signUp(page, person);
  await verifyFromEmail(page, mailbox, person);
  const { cdp, authenticatorId } = await addVirtualAuthenticator(page);

  await page.goto(onLocalhost(baseURL, '/account/passkeys'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Passkeys');
  await checkPage('passkeys-empty');
  await page.getByLabel('Name').fill('Test laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('Passkey added.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Test laptop' })).toBeVisible();
  await checkPage('passkeys-one');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]?.isResidentCredential).toBe(true);
  expect((await mailbox.next(person.email)).subject).toBe('A passkey was added to your account');

  await page.goto(onLocalhost(baseURL, '/logout'));
  await mainLogOutButton(page).click();
  await page.goto(onLocalhost(baseURL, '/'));
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(person.email);

  await page.goto(onLocalhost(baseURL, '/account/passkeys'));
  await expect(page.getByText(/Last used \d{4}-/)).toBeVisible();
  await page.getByLabel('Current password').fill(person.password);
  await page.getByRole('button', { name: 'Remove Test laptop' }).click();
  await expect(page.getByText('Passkey removed.')).toBeVisible();
  await expect(page.getByText('No passkeys yet.')).toBeVisible();

  await page.goto(onLocalhost(baseURL, '/logout'));
  await mainLogOutButton(page).click();
  await page.goto(onLocalhost(baseURL, '/'));
  // The authenticator still holds the credential; the app no longer knows it.
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
  await expect(page.getByText('The passkey was not accepted.')).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test('a passkey serves as the second step after a password', async ({ page, mailbox, baseURL }) => {
  const person = { email: uniqueEmail('passkey-2nd'), password: newPassword() };
  await signUp(page, person);
  await verifyFromEmail(page, mailbox, person);
  await addVirtualAuthenticator(page);
  await page.goto(onLocalhost(baseURL, '/account/passkeys'));
  await page.getByLabel('Name').fill('Phone');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('Passkey added.')).toBeVisible();

  await page.goto(onLocalhost(baseURL, '/logout'));
  await mainLogOutButton(page).click();
  await page.goto(onLocalhost(baseURL, '/'));
  const card = page.getByRole('region', { name: 'Log in' });
  await card.getByLabel('Email or username').fill(person.email);
  await card.getByLabel('Password').fill(person.password);
  await card.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(person.email);
});
