import { confirmWithPassword, expect, newPassword, test, uniqueEmail } from './fixtures.js';

// `npm start` with nothing configured: no SMTP server, mail goes to the dev outbox at /dev/outbox.
// The ownApp fixture starts a copy of the app that way, for this test only.
test('without SMTP, the dev outbox shows the verification email and its link works', async ({
  page,
  ownApp,
  checkPage,
}) => {
  await page.goto(`${ownApp.url}/dev/outbox`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dev outbox');
  await expect(page.getByText('No emails yet.')).toBeVisible();
  await checkPage('dev-outbox-empty');

  const email = uniqueEmail('outbox');
  const password = newPassword();
  await page.goto(`${ownApp.url}/`);
  const signup = page.getByRole('region', { name: 'Sign up' });
  await signup.getByLabel('Email').fill(email);
  await signup.getByLabel('Password').fill(password);
  await signup.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');

  // The footer links to the outbox in development; mail is written by a queue, so reload until it shows.
  await page.getByRole('contentinfo').getByRole('link', { name: 'Dev outbox' }).click();
  const mail = page.getByRole('article').filter({ hasText: email });
  await expect(async () => {
    await page.reload();
    await expect(mail).toBeVisible({ timeout: 500 });
  }).toPass();
  await expect(mail.getByRole('heading', { level: 2 })).toHaveText('Confirm your email address');
  // Issue 13.6: the email as its HTML, in a sandboxed frame; its text part a click away.
  const frame = mail.locator('iframe.mail__html');
  await expect(frame).toHaveAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
  await expect(
    mail.frameLocator('iframe.mail__html').getByRole('link', { name: 'Confirm your email' }),
  ).toBeVisible();
  await mail.getByText('Show the text part').click();
  await expect(mail.locator('pre.mail__body')).toContainText('/verify?');
  await checkPage('dev-outbox');

  await mail.getByRole('link', { name: /\/verify\?/ }).click();
  await confirmWithPassword(page, password);
  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
  const login = page.getByRole('region', { name: 'Log in' });
  await login.getByLabel('Email or username').fill(email);
  await login.getByLabel('Password').fill(password);
  await login.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${email}`);

  // "Clear outbox" empties it, and says so.
  await page.goto(`${ownApp.url}/dev/outbox`);
  await page.getByRole('button', { name: 'Clear outbox' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The outbox is empty now.' })).toBeVisible();
  await expect(page.getByText('No emails yet.')).toBeVisible();
});
