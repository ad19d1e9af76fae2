import type { Response } from '@playwright/test';
import {
  expect,
  forgotCard,
  logInAndExpectHome,
  loginCard,
  test,
  uniqueEmail,
  verifiedPerson,
} from './fixtures.js';

test('a form whose CSRF token was tampered with is refused with a 403 page', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'csrf');
  await page.goto('/');
  const card = loginCard(page);
  await card.getByLabel('Email or username').fill(person.email);
  await card.getByLabel('Password').fill(person.password);
  await card.locator('input[name="_csrf"]').evaluate((input: HTMLInputElement) => {
    input.value = 'forged-token';
  });
  const refused = page.waitForResponse((response) => response.url().endsWith('/login'));
  await card.getByRole('button', { name: 'Log in' }).click();
  expect((await refused).status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This form has expired');
  await checkPage('csrf-refused');
  await page.goto('/home');
  await expect(loginCard(page)).toBeVisible();
});

test('a page on another site cannot log the person out (CSRF, SameSite)', async ({
  page,
  mailbox,
  baseURL,
}) => {
  const person = await verifiedPerson(page, mailbox, 'crosssite');
  await logInAndExpectHome(page, person);

  await page.goto('about:blank');
  await page.setContent(
    `<form method="post" action="${baseURL}/logout"><button type="submit">Claim your prize</button></form>`,
  );
  const refused = page.waitForResponse((response) => response.url() === `${baseURL}/logout`);
  await page.getByRole('button', { name: 'Claim your prize' }).click();
  expect((await refused).status()).toBe(403);

  await page.goto('/home');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
});

test('an unknown address gets a 404 page with a way back', async ({ page, checkPage }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await checkPage('not-found');
  await page.getByRole('main').getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
});

test.describe('with rate limits on', () => {
  test.use({ ownAppEnv: { RATE_LIMITS: 'on' } });

  test('repeated failed logins are refused with a 429 page and Retry-After', async ({
    page,
    ownApp,
    checkPage,
  }) => {
    const email = uniqueEmail('guesser');
    let refused: Response | null = null;
    for (let attempt = 1; attempt <= 30 && !refused; attempt += 1) {
      await page.goto(`${ownApp.url}/`);
      const card = loginCard(page);
      await card.getByLabel('Email or username').fill(email);
      await card.getByLabel('Password').fill(`guess number ${attempt} of many`);
      const answer = page.waitForResponse((response) => response.url() === `${ownApp.url}/login`);
      await card.getByRole('button', { name: 'Log in' }).click();
      const response = await answer;
      if (response.status() === 429) refused = response;
      else expect(response.status()).toBe(401);
    }
    expect(refused, 'the login was refused before 30 attempts').not.toBeNull();
    expect(Number(refused?.headers()['retry-after'])).toBeGreaterThan(0);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Too many attempts');
    // It says when to try again, and offers the way in that no guesser can block: the reset.
    await expect(page.getByRole('main')).toContainText(
      /You can try again in (about \d+ minutes|\d+ seconds?)/,
    );
    await checkPage('too-many-attempts');
    await page.getByRole('main').getByRole('link', { name: 'Reset your password' }).click();
    await expect(forgotCard(page).getByLabel('Email')).toBeVisible();
  });
});
