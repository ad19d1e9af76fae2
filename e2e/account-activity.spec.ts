import { expect, expectLoginFailed, logIn, logInAndExpectHome, test, verifiedPerson } from './fixtures.js';

test('the activity page shows the failed and the successful sign-in, newest first', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'activity');
  await logIn(page, person.email, `${person.password}-not`);
  await expectLoginFailed(page);
  await logInAndExpectHome(page, person);

  await page.getByRole('link', { name: 'Security activity' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Security activity');
  const entries = page.getByRole('main').getByRole('listitem');
  await expect(entries.first()).toContainText('Signed in');
  await expect(entries.nth(1)).toContainText('Failed sign-in');
  await expect(page.getByRole('main')).toContainText('Email address verified');
  await expect(page.getByRole('main')).not.toContainText(`${person.password}-not`);
  await checkPage('account-activity');
});
