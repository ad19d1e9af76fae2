import { totpCodeAt } from '../server/auth/totp.js';
import {
  expect,
  logIn,
  mainLogOutButton,
  newPassword,
  signUp,
  test,
  uniqueEmail,
  verifyFromEmail,
} from './fixtures.js';

const stepOf = (date: Date) => Math.floor(date.getTime() / 30_000);

// Issue 17: an authenticator app turned on from the page (the secret read as a person would copy
// it), then a log-in that needs its code. Real time: the code is the one the app would show now.
test('turn on two-factor with the shown secret, log out, log in with password and a code', async ({
  page,
  mailbox,
  checkPage,
}) => {
  // Up to 30 s of it is real time spent waiting for the next code (below), on top of everything a
  // loaded CI machine does slowly: the default 60 s could run out with nothing wrong.
  test.slow();
  const person = { email: uniqueEmail('totp'), password: newPassword() };
  await signUp(page, person);
  await verifyFromEmail(page, mailbox, person);

  await page.goto('/home');
  await page.getByRole('link', { name: 'Two-factor sign-in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Two-factor sign-in');
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  await checkPage('two-factor-enrol');
  const secret = ((await page.locator('[data-secret]').textContent()) ?? '').replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const enrolledAt = new Date();
  const enrolledStep = stepOf(enrolledAt);
  await page.getByLabel('6-digit code').fill(await totpCodeAt(secret, { now: () => enrolledAt }));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your recovery codes');
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  await checkPage('two-factor-recovery-codes');
  expect((await mailbox.next(person.email)).subject).toBe('Two-factor sign-in is on');

  await page.goto('/logout');
  await mainLogOutButton(page).click();
  await logIn(page, person.email, person.password);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Two-factor sign-in');
  await checkPage('two-factor-second-step');
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  // The message beside the field, and in the error summary that took the focus.
  await expect(page.locator('#second-step-code-error')).toContainText('That code is not right');
  await expect(page.locator('#second-step-summary')).toBeFocused();
  await expect(page.getByLabel('Code')).toHaveAttribute('aria-invalid', 'true');
  // The enrolment spent its 30-second step's code (a code works once): wait for the next step,
  // as a person waits for the app's next code, then type it once.
  await expect
    .poll(() => stepOf(new Date()), { timeout: 45_000, intervals: [1_000] })
    .toBeGreaterThan(enrolledStep);
  await page.getByLabel('Code').fill(await totpCodeAt(secret, { now: () => new Date() }));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(person.email);
});
