import {
  expect,
  expectLoginFailed,
  forgotCard,
  logIn,
  logInAndExpectHome,
  newPassword,
  openEmail,
  test,
  uniqueEmail,
  verifiedPerson,
} from './fixtures.js';

test('forgot password → email → form → mismatch error → new password works, old refused, link spent', async ({
  page,
  mailbox,
  checkPage,
  baseURL,
}) => {
  const person = await verifiedPerson(page, mailbox, 'reset');

  await page.goto('/');
  await forgotCard(page).getByLabel('Email').fill(person.email);
  await forgotCard(page).getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your email');
  await expect(page.getByText('Check your email for further instructions.')).toBeVisible();
  await checkPage('forgot-check-email');

  const mail = await mailbox.next(person.email);
  expect(mail.subject).toBe('Reset your password');
  const link = mail.links.find((candidate) => candidate.includes('/reset-password?'));
  expect(link?.startsWith(`${baseURL}/reset-password?access_token=`)).toBe(true);
  await openEmail(page, mail);
  await checkPage('email-reset');
  await page.getByRole('link', { name: 'Choose a new password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose a new password');
  await checkPage('reset-form');

  const fresh = newPassword();
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(`${fresh}!`);
  await page.getByRole('button', { name: 'Reset password' }).click();
  const confirmation = page.getByLabel('Confirm new password');
  await expect(confirmation).toHaveAttribute('aria-invalid', 'true');
  await expect(confirmation).toHaveAccessibleDescription('The passwords do not match.');
  await expect(page.getByLabel('New password', { exact: true })).toHaveValue('');
  await checkPage('reset-form-mismatch');

  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(fresh);
  await page.getByRole('button', { name: 'Reset password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Password reset success');
  await checkPage('reset-success');

  await page.getByRole('link', { name: 'Log in' }).click();
  await logIn(page, person.email, person.password);
  await expectLoginFailed(page);
  await logInAndExpectHome(page, { email: person.email, password: fresh });

  // The same email, opened again: the link has been spent.
  await openEmail(page, mail);
  await page.getByRole('link', { name: 'Choose a new password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'This reset link is invalid or has expired',
  );
  await checkPage('reset-link-spent');
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await expect(forgotCard(page)).toBeVisible();
});

test('an unknown address gets the same page and no email', async ({ page, mailbox }) => {
  const stranger = uniqueEmail('stranger');
  await page.goto('/');
  await forgotCard(page).getByLabel('Email').fill(stranger);
  await forgotCard(page).getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your email');
  await expect(page.getByText('Check your email for further instructions.')).toBeVisible();
  // A known address asked right after gets its email; the unknown one still has none.
  const known = await verifiedPerson(page, mailbox, 'known');
  await page.goto('/');
  await forgotCard(page).getByLabel('Email').fill(known.email);
  await forgotCard(page).getByRole('button', { name: 'Send reset link' }).click();
  await mailbox.next(known.email);
  expect(await mailbox.all(stranger)).toEqual([]);
});
