import {
  expect,
  expectLandedOnIndex,
  logInAndExpectHome,
  loginCard,
  mainLogOutButton,
  test,
  verifiedPerson,
} from './fixtures.js';
import { chromiumLaunchOptions } from './support/chromium.js';

// Playwright turns Chromium's back/forward cache off by default; a person's browser has it on, and
// it could bring the logged-in page back without asking the server. This file turns it back on.
test.use({
  launchOptions: { ...chromiumLaunchOptions, ignoreDefaultArgs: ['--disable-back-forward-cache'] },
});

test('after log out, the back button does not show the home page again', async ({ page, mailbox }) => {
  const person = await verifiedPerson(page, mailbox, 'backbutton');
  await logInAndExpectHome(page, person);
  const home = await page.goto('/home');
  expect(home?.headers()['cache-control']).toBe('no-store');

  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
  // A page restored from a cache fires no load event: wait for the navigation to commit only.
  await page.goBack({ waitUntil: 'commit' });
  // no-store keeps /home out of the HTTP and back/forward caches, so the browser asks the server
  // again, which sends a logged-out person to the log-in form.
  await expect(loginCard(page)).toBeVisible();
  await expect(page.getByText(person.email)).toHaveCount(0);
  await expect(page.getByRole('heading', { name: /Logged in as/ })).toHaveCount(0);
});
