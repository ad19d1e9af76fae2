import type { Page } from '@playwright/test';
import {
  expect,
  expectLandedOnIndex,
  logInAndExpectHome,
  mainLogOutButton,
  newPassword,
  signupCard,
  test,
  uniqueEmail,
  verifiedPerson,
} from './fixtures.js';

// Issue 13: errors where the eye is, a message after every action, password help. Each check runs
// at a desktop size and at 390×844, where a form far down the page used to fail out of sight.
const sizes = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
];

/** The element's box lies at least partly inside the viewport. */
async function expectInViewport(page: Page, selector: string) {
  const inView = await page.locator(selector).evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  });
  expect(inView, `${selector} is in the viewport`).toBe(true);
}

for (const size of sizes) {
  test.describe(`at ${size.name} size`, () => {
    test.use({ viewport: size.viewport });

    test('a refused sign-up focuses an error summary in view whose link leads to the field', async ({
      page,
      checkPage,
    }) => {
      await page.goto('/');
      const card = signupCard(page);
      // The rules are said before the first attempt.
      await expect(card.getByText(/At least 12 characters\. Not a common password/)).toBeVisible();
      await card.getByLabel('Email').fill(uniqueEmail(`summary-${size.name}`));
      await card.getByLabel('Password', { exact: true }).fill('password1234');
      await card.getByRole('button', { name: 'Sign up' }).click();

      await expect(page).toHaveTitle(/^Error: /);
      const summary = page.locator('#signup-summary');
      await expect(summary).toBeFocused();
      await expect(summary).toContainText('There is a problem');
      await expectInViewport(page, '#signup-summary');
      const password = card.getByLabel('Password', { exact: true });
      await expect(password).toHaveAttribute('aria-invalid', 'true');
      await expect(password).toHaveAttribute('aria-describedby', /signup-password-error/);
      // Before checkPage, which shoots both sizes and leaves the page at desktop size.
      await summary.getByRole('link').click();
      await expect(password).toBeFocused();
      await checkPage(`error-summary-signup-${size.name}`);
    });

    test('a failed log-in focuses its message inside the card', async ({ page }) => {
      await page.goto('/');
      await page
        .getByRole('region', { name: 'Log in' })
        .getByLabel('Email or username')
        .fill('nobody@example.com');
      await page
        .getByRole('region', { name: 'Log in' })
        .getByLabel('Password', { exact: true })
        .fill('not the right one at all');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await expect(page.locator('#login-alert')).toBeFocused();
      await expectInViewport(page, '#login-alert');
    });

    test('the password field shows and hides its text; strength is said as one types', async ({
      page,
      checkPage,
    }) => {
      await page.goto('/');
      const card = signupCard(page);
      const password = card.getByLabel('Password', { exact: true });
      await password.fill('correct horse battery staple');
      const toggle = card.getByRole('button', { name: 'Show password' });
      await toggle.click();
      await expect(password).toHaveAttribute('type', 'text');
      await expect(card.getByRole('button', { name: 'Hide password' })).toBeVisible();
      await card.getByRole('button', { name: 'Hide password' }).click();
      await expect(password).toHaveAttribute('type', 'password');

      await password.fill('');
      await password.pressSequentially('short');
      await expect(card.locator('#signup-password-strength')).toContainText('Too short');
      await password.fill('');
      await password.pressSequentially('passwordpassword');
      await expect(card.locator('#signup-password-strength')).toContainText(/Too (common|easy)/);
      await password.fill('');
      await password.pressSequentially('Lantern moss 42 quietly');
      await expect(card.locator('#signup-password-strength')).toContainText('Strong');
      await checkPage(`password-help-${size.name}`);
    });
  });
}

test('messages after log out, log in to continue, and a session ended elsewhere', async ({
  page,
  browser,
  baseURL,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'flash');
  // verifiedPerson logs out through the header: the index page says so.
  await expect(page.getByRole('status').filter({ hasText: 'You are logged out.' })).toBeVisible();

  await page.goto('/home');
  await expect(page.getByRole('status').filter({ hasText: 'Log in to continue.' })).toBeVisible();

  await logInAndExpectHome(page, person);
  const elsewhere = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 } });
  const phone = await elsewhere.newPage();
  await phone.goto('/');
  await phone.getByRole('region', { name: 'Log in' }).getByLabel('Email or username').fill(person.email);
  await phone
    .getByRole('region', { name: 'Log in' })
    .getByLabel('Password', { exact: true })
    .fill(person.password);
  await phone.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(phone).toHaveURL(/\/home$/);

  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expectLandedOnIndex(page);
  await expect(
    page.getByRole('status').filter({ hasText: 'You are logged out on every device.' }),
  ).toBeVisible();

  await phone.goto('/home');
  await expect(phone.getByRole('status').filter({ hasText: 'Your session ended elsewhere' })).toBeVisible();
  await checkPage('flash-session-ended');
  await elsewhere.close();

  // A logged-in person opening / goes home.
  await logInAndExpectHome(page, person);
  await page.goto('/');
  await expect(page).toHaveURL(/\/home$/);
  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
});

test('change password: a hidden username for password managers; the new one must differ', async ({
  page,
  mailbox,
}) => {
  const person = await verifiedPerson(page, mailbox, 'differ');
  await logInAndExpectHome(page, person);
  await page.goto('/change-password');
  await expect(page.locator('input[autocomplete="username"]')).toHaveValue(person.email);
  await page.getByLabel('Current password').fill(person.password);
  await page.getByLabel('New password', { exact: true }).fill(person.password);
  await page.getByLabel('Confirm new password').fill(person.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#change-summary')).toBeFocused();
  await expect(page.locator('#change-summary')).toContainText('different from your current one');
  const fresh = newPassword();
  await page.getByLabel('Current password').fill(person.password);
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(fresh);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible();
});

test('each form on the index page has at most one username field', async ({ page }) => {
  await page.goto('/');
  for (const form of await page.locator('form').all()) {
    expect(await form.locator('[autocomplete="username"]').count()).toBeLessThanOrEqual(1);
  }
});

test('every page a logged-in browser is shown is no-store, so none is kept after log-out', async ({
  page,
  mailbox,
}) => {
  const person = await verifiedPerson(page, mailbox, 'nostore');
  await logInAndExpectHome(page, person);
  for (const path of ['/home', '/change-password', '/logout', '/account/two-factor', '/no-such-page']) {
    const response = await page.goto(path);
    expect(response?.headers()['cache-control'], path).toBe('no-store');
    await expect(page.getByRole('banner')).toContainText(`Logged in as ${person.email}`);
  }
});
