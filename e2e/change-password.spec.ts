import {
  expect,
  expectLandedOnIndex,
  expectLoggedOut,
  expectLoginFailed,
  logIn,
  logInAndExpectHome,
  mainLogOutButton,
  newPassword,
  test,
  verifiedPerson,
} from './fixtures.js';

test('changing the password logs out the other browser and keeps this one logged in', async ({
  page,
  mailbox,
  browser,
  baseURL,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'change');
  await logInAndExpectHome(page, person);
  const elsewhere = await browser.newContext({ baseURL });
  const elsewherePage = await elsewhere.newPage();
  await logInAndExpectHome(elsewherePage, person);

  await page.getByRole('link', { name: 'Change password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change password');
  await checkPage('change-password');

  const fresh = newPassword();
  await page.getByLabel('Current password').fill(person.password);
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(fresh);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toHaveText('Password changed. Other sessions have been logged out.');
  await checkPage('change-password-success');

  // The other browser's session is gone; this one still works.
  await expectLoggedOut(elsewherePage);
  await page.goto('/home');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);

  await logIn(elsewherePage, person.email, person.password);
  await expectLoginFailed(elsewherePage);
  await logInAndExpectHome(elsewherePage, { email: person.email, password: fresh });
  await elsewhere.close();
});

test('a wrong current password or a mismatched confirmation is shown beside its field', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'changebad');
  await logInAndExpectHome(page, person);
  await page.goto('/change-password');

  const fresh = newPassword();
  await page.getByLabel('Current password').fill(`${person.password}-not`);
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(fresh);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Current password')).toHaveAccessibleDescription(
    'The current password is not right.',
  );
  await checkPage('change-password-error');

  await page.getByLabel('Current password').fill(person.password);
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(`${fresh}?`);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByLabel('Confirm new password')).toHaveAccessibleDescription(
    'The passwords do not match.',
  );

  // Nothing changed: the old password still opens the account.
  await page.goto('/home');
  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
  await logInAndExpectHome(page, person);
});
