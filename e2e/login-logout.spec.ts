import {
  expect,
  expectLandedOnIndex,
  expectLoggedOut,
  expectLoginFailed,
  forgotCard,
  logIn,
  logInAndExpectHome,
  loginCard,
  mainLogOutButton,
  newPassword,
  signUp,
  test,
  uniqueEmail,
  verifiedPerson,
  verifyFromEmail,
} from './fixtures.js';

test('a wrong password keeps the person in the log-in form, and "Forgot password?" carries the email to the reset form', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'wrongpw');
  await page.goto('/');
  const card = loginCard(page);
  await card.getByLabel('Email or username').fill(person.email);
  await card.getByLabel('Password').fill(`${person.password}-not`);
  await card.getByLabel('Remember me').check();
  const answer = page.waitForResponse((response) => response.url().endsWith('/login'));
  await card.getByRole('button', { name: 'Log in' }).click();
  expect((await answer).status()).toBe(401);
  await expectLoginFailed(page);
  await expect(loginCard(page).getByLabel('Email or username')).toHaveValue(person.email);
  await expect(loginCard(page).getByLabel('Password')).toHaveValue('');
  await expect(loginCard(page).getByLabel('Remember me')).toBeChecked();
  await checkPage('login-failed');

  await loginCard(page).getByRole('link', { name: 'Forgot password?' }).click();
  await expect(forgotCard(page).getByLabel('Email')).toHaveValue(person.email);
  await expectLoggedOut(page);
});

test('an unknown user gets the same words in the log-in card as a wrong password', async ({ page }) => {
  await logIn(page, uniqueEmail('nobody'), newPassword());
  await expectLoginFailed(page);
});

test('an unverified email gets its own message, and the resend button sends a link that works', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = { email: uniqueEmail('unverified'), password: newPassword() };
  await signUp(page, person);
  const first = await mailbox.next(person.email);
  expect(first.subject).toBe('Confirm your email address');

  await logIn(page, person.email, person.password);
  await expectLoginFailed(page, 'Your email address is not verified yet.');
  await checkPage('login-failed-unverified');

  await loginCard(page).getByRole('button', { name: 'Resend verification email' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check your email');
  await checkPage('resend-verification-sent');

  await verifyFromEmail(page, mailbox, person);
  // Verifying logged the person in: the index page now sends them home.
  await page.goto('/');
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
});

test('GET /logout only asks: the person stays logged in until they press the button', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = await verifiedPerson(page, mailbox, 'getlogout');
  await logInAndExpectHome(page, person);

  await page.goto('/logout');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log out of your account?');
  await checkPage('logout-confirm');
  await page.getByRole('link', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);

  await page.goto('/logout');
  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
  await expectLoggedOut(page);
});

test('"Remember me" decides whether the login outlives the browser session', async ({
  page,
  mailbox,
  context,
}) => {
  const person = await verifiedPerson(page, mailbox, 'remember');
  await logInAndExpectHome(page, person);
  const sessionCookie = async () => (await context.cookies()).find((cookie) => cookie.name === 'session');
  expect((await sessionCookie())?.expires, 'unchecked: a session cookie').toBe(-1);
  expect((await sessionCookie())?.httpOnly).toBe(true);
  expect((await sessionCookie())?.sameSite).toBe('Lax');

  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
  const card = loginCard(page);
  await card.getByLabel('Email or username').fill(person.email);
  await card.getByLabel('Password').fill(person.password);
  await card.getByLabel('Remember me').check();
  await card.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/home$/);
  const expires = (await sessionCookie())?.expires ?? -1;
  expect(expires * 1000, 'checked: a cookie that survives closing the browser').toBeGreaterThan(Date.now());
});

test('"Log out everywhere" logs out the other browsers too', async ({ page, mailbox, browser, baseURL }) => {
  const person = await verifiedPerson(page, mailbox, 'everywhere');
  await logInAndExpectHome(page, person);
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await logInAndExpectHome(otherPage, person);

  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expectLandedOnIndex(page);
  await expectLoggedOut(page);
  await expectLoggedOut(otherPage);
  await other.close();
});

test('the login form sends the person back to the page they asked for', async ({ page, mailbox }) => {
  const person = await verifiedPerson(page, mailbox, 'next');
  await page.goto('/change-password');
  await expect(page).toHaveURL(/\/\?next=%2Fchange-password$/);
  const card = loginCard(page);
  await card.getByLabel('Email or username').fill(person.email);
  await card.getByLabel('Password').fill(person.password);
  await card.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change password');
});
