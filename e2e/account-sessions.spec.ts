import { expect, expectLoggedOut, logInAndExpectHome, test, verifiedPerson } from './fixtures.js';

const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

test('the sessions page lists both browsers, this one marked; revoking the other logs it out on its next request', async ({
  page,
  mailbox,
  browser,
  baseURL,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'sessions');
  await logInAndExpectHome(page, person);
  const phone = await browser.newContext({ baseURL, userAgent: SAFARI });
  const phonePage = await phone.newPage();
  await logInAndExpectHome(phonePage, person);
  // The phone had never signed in to this account: its owner is told, with a link to this page.
  const notice = await mailbox.nextWith(person.email, 'A new sign-in to your account');
  expect(notice.text).toContain('Mobile Safari on iOS');

  await page.getByRole('link', { name: 'Sessions', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your sessions');
  const rows = page.getByRole('main').getByRole('listitem');
  await expect(rows).toHaveCount(2);
  await expect(page.getByText('This browser')).toHaveCount(1);
  await expect(page.getByRole('heading', { name: /Mobile Safari on iOS/ })).toBeVisible();
  await checkPage('account-sessions');

  await page.getByRole('button', { name: 'Log out Mobile Safari on iOS' }).click();
  await expect(page.getByRole('status')).toContainText('Logged out the session on Mobile Safari on iOS');
  await expect(rows).toHaveCount(1);
  await checkPage('account-sessions-revoked');

  await expectLoggedOut(phonePage);
  await page.goto('/home');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);

  // "Log out everywhere else" ends the phone's new session and keeps this one.
  await logInAndExpectHome(phonePage, person);
  await page.goto('/account/sessions');
  await page.getByRole('button', { name: 'Log out everywhere else' }).click();
  await expect(page.getByRole('status')).toContainText('Logged out 1 other session');
  await expectLoggedOut(phonePage);
  await phone.close();
});
