import { expect, logInAndExpectHome, openEmail, test, uniqueEmail, verifiedPerson } from './fixtures.js';

test('changing the email end to end: the password asked, the new address pending, the old one told, the link confirms', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'emailold');
  await logInAndExpectHome(page, person);
  const newEmail = uniqueEmail('emailnew');

  await page.getByRole('link', { name: 'Change email' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your email');
  await checkPage('account-email');

  await page.getByLabel('New email address').fill(newEmail);
  await page.getByLabel('Current password').fill(`${person.password}-not`);
  await page.getByRole('button', { name: 'Change email' }).click();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('New email address')).toHaveValue(newEmail);
  await checkPage('account-email-error');

  await page.getByLabel('Current password').fill(person.password);
  await page.getByRole('button', { name: 'Change email' }).click();
  await expect(page.getByRole('status')).toContainText(`Check ${newEmail} for a link`);
  await expect(page.getByRole('main')).toContainText('Waiting for confirmation');
  await expect(page.getByRole('button', { name: 'Resend the link' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel the change' })).toBeVisible();
  await checkPage('account-email-pending');

  const notice = await mailbox.nextWith(person.email, 'Your email address is being changed');
  expect(notice.links.some((link) => link.includes('/account/email/cancel?'))).toBe(true);

  await page.getByRole('button', { name: 'Resend the link' }).click();
  await expect(page.getByRole('status')).toContainText('A new confirmation link');
  await mailbox.nextWith(newEmail, 'Confirm your new email address');
  const confirm = await mailbox.nextWith(newEmail, 'Confirm your new email address');

  await openEmail(page, confirm);
  await page
    .getByRole('link', { name: /Confirm/ })
    .first()
    .click();
  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await page.goto('/account/email');
  await expect(page.getByRole('main')).toContainText(newEmail);
  await expect(page.getByRole('main')).not.toContainText('Waiting for confirmation');
});
