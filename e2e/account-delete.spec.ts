import { expect, expectLoginFailed, logIn, logInAndExpectHome, test, verifiedPerson } from './fixtures.js';

test('deleting the account asks for the password, says what goes, and sends one last email', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'delete');
  await logInAndExpectHome(page, person);

  await page.getByRole('link', { name: 'Delete account' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Delete your account');
  await expect(page.getByRole('main')).toContainText('cannot be undone');
  await checkPage('account-delete');

  await page.getByLabel('Current password').fill(`${person.password}-not`);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  await checkPage('account-delete-error');

  await page.getByLabel('Current password').fill(person.password);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/$/);
  // The index page has a passkey status line too: the flash is the status saying so.
  await expect(page.getByRole('status').filter({ hasText: 'Your account is deleted' })).toBeVisible();
  await checkPage('account-deleted');

  const last = await mailbox.nextWith(person.email, 'Your account was deleted');
  expect(last.text).toContain('If it was not you');
  await logIn(page, person.email, person.password);
  await expectLoginFailed(page);
});
