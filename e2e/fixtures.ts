import { randomUUID } from 'node:crypto';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { checkPage } from './support/check-page.js';
import { type Mail, Mailbox } from './support/mailbox.js';
import { type OwnApp, startOwnApp } from './support/own-app.js';

export type { Mail };
export { expect };

function fromLauncher(name: 'E2E_BASE_URL' | 'E2E_MAILBOX_URL'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the browser tests with "npm run e2e" (the webServer sets it)`);
  return value;
}

type Fixtures = {
  /** The emails this test's addresses received, read from the real SMTP server. */
  mailbox: Mailbox;
  /** axe + desktop and phone screenshots of the page shown now; `name` is unique in the suite. */
  checkPage: (name: string) => Promise<void>;
  /** A separate copy of the app for this test only, with the dev outbox (see support/own-app.ts). */
  ownApp: OwnApp;
};

type Options = {
  /** Environment of `ownApp`, on top of its defaults: `test.use({ ownAppEnv: { RATE_LIMITS: 'on' } })`. */
  ownAppEnv: Record<string, string>;
};

export const test = base.extend<Fixtures & Options>({
  ownAppEnv: [{}, { option: true }],
  // The app listens on a port chosen at start; the launcher prints it and the config passes it on.
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, use) => {
    await use(fromLauncher('E2E_BASE_URL'));
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  mailbox: async ({}, use) => {
    await use(new Mailbox(fromLauncher('E2E_MAILBOX_URL')));
  },
  checkPage: async ({ page }, use, testInfo) => {
    await use((name) => checkPage(page, testInfo, name));
  },
  ownApp: async ({ ownAppEnv }, use) => {
    const app = await startOwnApp(ownAppEnv);
    await use(app);
    await app.close();
  },
});

/** An address no other test uses, so tests run in parallel against one app and one database. */
export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** A password the policy accepts (long, not a common one) and that no other test uses. */
export function newPassword(): string {
  return `harbour lamp ${randomUUID().slice(0, 8)} violet`;
}

export type Person = { email: string; password: string };

/** The three cards of the index page, each a region named by its heading. */
export const loginCard = (page: Page): Locator => page.getByRole('region', { name: 'Log in' });
export const signupCard = (page: Page): Locator => page.getByRole('region', { name: 'Sign up' });
export const forgotCard = (page: Page): Locator => page.getByRole('region', { name: 'Forgot password' });

/** The page's own "Log out" button (the header has one too). */
export const mainLogOutButton = (page: Page): Locator =>
  page.getByRole('main').getByRole('button', { name: 'Log out', exact: true });

export async function signUp(page: Page, person: Person & { username?: string }): Promise<void> {
  await page.goto('/');
  const card = signupCard(page);
  await card.getByLabel('Email').fill(person.email);
  if (person.username) await card.getByLabel('Username (optional)').fill(person.username);
  await card.getByLabel('Password').fill(person.password);
  await card.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');
}

/**
 * Shows an email the way a mail client does (its HTML, outside the app's origin), ready for the
 * test to click a link in it. The link must start with the app's public URL (APP_URL).
 */
export async function openEmail(page: Page, mail: Mail): Promise<void> {
  await page.goto('about:blank');
  await page.setContent(mail.html);
}

/**
 * On the page an emailed verification link opens (which changes nothing by itself): logs in as
 * the link's account, which verifies the email, and checks the verified page.
 */
export async function confirmWithPassword(page: Page, password: string): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email');
  await page.getByRole('main').getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in and confirm' }).click();
  await expect(page).toHaveURL(/\/verified$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Email verified');
}

/**
 * Opens the verification email sent to this person, clicks its button and confirms on the page it
 * opens with the password: the verified page, logged in.
 */
export async function verifyFromEmail(page: Page, mailbox: Mailbox, person: Person): Promise<Mail> {
  const mail = await mailbox.next(person.email);
  expect(mail.subject).toBe('Confirm your email address');
  await openEmail(page, mail);
  await page.getByRole('link', { name: 'Confirm your email' }).click();
  await confirmWithPassword(page, person.password);
  return mail;
}

export async function logIn(page: Page, identifier: string, password: string): Promise<void> {
  await page.goto('/');
  const card = loginCard(page);
  await card.getByLabel('Email or username').fill(identifier);
  await card.getByLabel('Password').fill(password);
  await card.getByRole('button', { name: 'Log in' }).click();
}

/**
 * A refused log-in: the index page again (401) with the message inside the log-in card, the same
 * words for an unknown user and a wrong password unless `message` says otherwise.
 */
export async function expectLoginFailed(
  page: Page,
  message = 'The email, username or password is not right.',
): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
  await expect(page).toHaveTitle(/^Error: /);
  const alert = loginCard(page).getByRole('alert');
  await expect(alert).toContainText('Login failed.');
  await expect(alert).toContainText(message);
}

/** Logs in and checks that the home page greets this person. */
export async function logInAndExpectHome(page: Page, person: Person): Promise<void> {
  await logIn(page, person.email, person.password);
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
}

/**
 * A person who signed up and verified their email, through the pages and the real email, and is
 * logged out again (verifying logs in), so each test starts from the log-in form.
 */
export async function verifiedPerson(page: Page, mailbox: Mailbox, label: string): Promise<Person> {
  const person = { email: uniqueEmail(label), password: newPassword() };
  await signUp(page, person);
  await verifyFromEmail(page, mailbox, person);
  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
  await expectLandedOnIndex(page);
  return person;
}

/**
 * Waits for a log-out (a POST answered by a 303 to `/`) to land on the index page, so the next
 * navigation does not interrupt it.
 */
export async function expectLandedOnIndex(page: Page): Promise<void> {
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
}

/** True once the browser is logged out: /home sends it back to the log-in form. */
export async function expectLoggedOut(page: Page): Promise<void> {
  await page.goto('/home');
  await expect(page).toHaveURL(/\/\?next=%2Fhome$|\/\?next=\/home$/);
  await expect(loginCard(page)).toBeVisible();
}
