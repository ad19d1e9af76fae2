import { expect, type Locator, type Page } from '@playwright/test';
import {
  confirmWithPassword,
  expectLandedOnIndex,
  expectLoggedOut,
  forgotCard,
  loginCard,
  mainLogOutButton,
  newPassword,
  openEmail,
  signupCard,
  test,
  uniqueEmail,
} from './fixtures.js';

/**
 * Presses Tab until `target` has the focus, as a keyboard user does; fails if it is never reached.
 * Also checks that the focused element shows a focus indicator.
 */
async function tabTo(page: Page, target: Locator, maxPresses = 40): Promise<void> {
  for (let presses = 0; presses < maxPresses; presses += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === document.activeElement)) {
      const outline = await target.evaluate((element) => getComputedStyle(element).outlineStyle);
      expect(outline, 'the focused element shows a focus outline').not.toBe('none');
      return;
    }
  }
  throw new Error(`Tab never reached ${target} within ${maxPresses} presses`);
}

/** From a password field, Tab reaches its Show button first (public/forms.js), then what follows. */
async function tabPastShowButton(page: Page): Promise<void> {
  await page.keyboard.press('Tab');
  await expect(
    page.getByRole('button', { name: 'Show password', exact: true }).and(page.locator(':focus')),
  ).toHaveCount(1);
  await page.keyboard.press('Tab');
}

async function typeInto(page: Page, field: Locator, text: string): Promise<void> {
  await expect(field).toBeFocused();
  await page.keyboard.type(text);
}

test('keyboard only: skip link, sign up, log in refused, resend, verify, log in, change password, log out', async ({
  page,
  mailbox,
}) => {
  const email = uniqueEmail('keys');
  const password = newPassword();

  await page.goto('/');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();

  // Sign up: Tab between the fields, Enter submits.
  await tabTo(page, signupCard(page).getByLabel('Email'));
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await typeInto(page, signupCard(page).getByLabel('Username (optional)'), `keys${Date.now().toString(36)}`);
  await page.keyboard.press('Tab');
  await typeInto(page, signupCard(page).getByLabel('Password'), password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');
  await mailbox.next(email);

  // Log in before verifying, then the resend button, by keyboard.
  await page.goto('/');
  await tabTo(page, loginCard(page).getByLabel('Email or username'));
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await typeInto(page, loginCard(page).getByLabel('Password'), password);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Your email address is not verified yet.')).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Resend verification email' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your email');

  // The new email's button, reached with Tab.
  await openEmail(page, await mailbox.next(email));
  await tabTo(page, page.getByRole('link', { name: 'Confirm your email' }));
  await page.keyboard.press('Enter');
  // The link's page: the password proves the account, Enter submits.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email');
  await tabTo(page, page.getByRole('main').getByLabel('Password'));
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Email verified');
  // Verifying logged in; log out with the header's button to log in again by keyboard.
  await tabTo(page, page.getByRole('banner').getByRole('button', { name: 'Log out' }));
  await page.keyboard.press('Enter');
  await expectLandedOnIndex(page);

  // Log in: Space ticks "Remember me", Enter on the button submits.
  await tabTo(page, loginCard(page).getByLabel('Email or username'));
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await typeInto(page, loginCard(page).getByLabel('Password'), password);
  // "Forgot password?" sits beside the password field, so it comes next after its Show button.
  await tabPastShowButton(page);
  await expect(loginCard(page).getByRole('link', { name: 'Forgot password?' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(loginCard(page).getByLabel('Remember me')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(loginCard(page).getByLabel('Remember me')).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(loginCard(page).getByRole('button', { name: 'Log in' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${email}`);

  // Change password.
  await tabTo(page, page.getByRole('link', { name: 'Change password' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('Current password'));
  await page.keyboard.type(password);
  const fresh = newPassword();
  await tabPastShowButton(page);
  await typeInto(page, page.getByLabel('New password', { exact: true }), fresh);
  await tabPastShowButton(page);
  await typeInto(page, page.getByLabel('Confirm new password'), fresh);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toHaveText('Password changed. Other sessions have been logged out.');

  // Back to the account page and log out.
  await tabTo(page, page.getByRole('link', { name: 'Back to your account' }));
  await page.keyboard.press('Enter');
  await tabTo(page, mainLogOutButton(page));
  await page.keyboard.press('Enter');
  await expectLandedOnIndex(page);
  await expectLoggedOut(page);
});

test('keyboard only: forgot password, reset form, log out page, log out everywhere', async ({
  page,
  mailbox,
}) => {
  const email = uniqueEmail('keysreset');
  await page.goto('/');
  await signupCard(page).getByLabel('Email').fill(email);
  const password = newPassword();
  await signupCard(page).getByLabel('Password').fill(password);
  await signupCard(page).getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');
  await page.goto((await mailbox.next(email)).links.find((link) => link.includes('/verify?')) ?? '');
  await confirmWithPassword(page, password);
  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
  await expectLandedOnIndex(page);

  // Forgot password.
  await page.goto('/');
  await tabTo(page, forgotCard(page).getByLabel('Email'));
  await page.keyboard.type(email);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Check your email for further instructions.')).toBeVisible();

  // The reset form.
  await openEmail(page, await mailbox.next(email));
  await tabTo(page, page.getByRole('link', { name: 'Choose a new password' }));
  await page.keyboard.press('Enter');
  const fresh = newPassword();
  await tabTo(page, page.getByLabel('New password', { exact: true }));
  await page.keyboard.type(fresh);
  await tabPastShowButton(page);
  await typeInto(page, page.getByLabel('Confirm new password'), fresh);
  await tabPastShowButton(page);
  await expect(page.getByRole('button', { name: 'Reset password' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Password reset success');

  // Log in with the new password, then the log-out page's button.
  await tabTo(page, page.getByRole('link', { name: 'Log in' }));
  await page.keyboard.press('Enter');
  await tabTo(page, loginCard(page).getByLabel('Email or username'));
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await typeInto(page, loginCard(page).getByLabel('Password'), fresh);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${email}`);
  await page.goto('/logout');
  await tabTo(page, mainLogOutButton(page));
  await page.keyboard.press('Enter');
  await expectLandedOnIndex(page);
  await expectLoggedOut(page);

  // Log in again and use "Log out everywhere".
  await tabTo(page, loginCard(page).getByLabel('Email or username'));
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await typeInto(page, loginCard(page).getByLabel('Password'), fresh);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/home$/);
  await tabTo(page, page.getByRole('button', { name: 'Log out everywhere' }));
  await page.keyboard.press('Enter');
  await expectLandedOnIndex(page);
  await expectLoggedOut(page);
});
