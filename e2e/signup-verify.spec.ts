import {
  confirmWithPassword,
  expect,
  expectLandedOnIndex,
  expectLoggedOut,
  logIn,
  loginCard,
  mainLogOutButton,
  newPassword,
  openEmail,
  signUp,
  signupCard,
  test,
  uniqueEmail,
  verifyFromEmail,
} from './fixtures.js';

test('sign up → verification email → verified page → log in → home → log out closes home', async ({
  page,
  mailbox,
  checkPage,
  baseURL,
}) => {
  const person = { email: uniqueEmail('signup'), password: newPassword() };

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome');
  await checkPage('index');

  await signUp(page, { ...person, username: `ada${Date.now().toString(36)}` });
  await expect(page.getByText('Please check your email and click on the verification link')).toBeVisible();
  await checkPage('signed-up');

  const mail = await mailbox.next(person.email);
  expect(mail.subject).toBe('Confirm your email address');
  const link = mail.links.find((candidate) => candidate.includes('/verify?'));
  expect(link, 'the text version carries the link too').toBeTruthy();
  expect(link?.startsWith(`${baseURL}/verify?`), 'links are built from APP_URL').toBe(true);
  await openEmail(page, mail);
  await checkPage('email-verify');
  await page.getByRole('link', { name: 'Confirm your email' }).click();
  // The link opens a page that changes nothing; the person proves the account with its password.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(person.email);
  await checkPage('verify-log-in');
  await confirmWithPassword(page, person.password);
  await checkPage('verified');
  await page.getByRole('link', { name: 'Go to your account' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);

  await logIn(page, person.email.toUpperCase(), person.password);
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Logged in as ${person.email}`);
  await expect(page.getByText('Verified', { exact: true })).toBeVisible();
  await checkPage('home');

  await mainLogOutButton(page).click();
  await expectLandedOnIndex(page);
  await expect(page.getByRole('banner').getByRole('button', { name: 'Log out' })).toHaveCount(0);
  await expectLoggedOut(page);
});

test('a verification link that was tampered with gets a clear 400 page', async ({
  page,
  mailbox,
  checkPage,
}) => {
  const person = { email: uniqueEmail('badlink'), password: newPassword() };
  await signUp(page, person);
  const mail = await mailbox.next(person.email);
  const link = new URL(mail.links.find((candidate) => candidate.includes('/verify?')) ?? '');
  link.searchParams.set('token', 'x'.repeat(64));
  const response = await page.goto(link.toString());
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'This verification link is invalid or has expired',
  );
  await checkPage('verify-invalid-link');
  // The genuine link still works.
  await page.goto(mail.links.find((candidate) => candidate.includes('/verify?')) ?? '');
  await confirmWithPassword(page, person.password);
});

test('opening the verification link (GET and HEAD, twice) verifies nothing; the log-in form on its page does', async ({
  page,
  mailbox,
}) => {
  const person = { email: uniqueEmail('scanner'), password: newPassword() };
  await signUp(page, person);
  const mail = await mailbox.next(person.email);
  const link = mail.links.find((candidate) => candidate.includes('/verify?')) ?? '';
  // A mail scanner: fetches the link twice with GET and HEAD, without the person's cookies.
  for (let round = 0; round < 2; round++) {
    expect((await page.request.get(link, { maxRedirects: 0 })).status()).toBe(200);
    expect((await page.request.head(link, { maxRedirects: 0 })).status()).toBe(200);
  }
  await logIn(page, person.email, person.password);
  await expect(page.getByText('Your email address is not verified yet.')).toBeVisible();

  await page.goto(link);
  await page.getByRole('main').getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Log in and confirm' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email');
  await expect(page.getByText('The email, username or password is not right.')).toBeVisible();
  await confirmWithPassword(page, person.password);
  await page.goto('/home');
  await expect(page.getByText('Verified', { exact: true })).toBeVisible();
});

test('sign-up errors show beside their field and keep what was typed (never the password)', async ({
  page,
  checkPage,
}) => {
  const email = uniqueEmail('weak');
  await page.goto('/');
  const card = signupCard(page);
  await card.getByLabel('Email').fill(email);
  await card.getByLabel('Password').fill('short');
  await card.getByRole('button', { name: 'Sign up' }).click();
  const password = signupCard(page).getByLabel('Password');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription(/at least 12 characters/);
  await expect(password).toHaveValue('');
  await expect(signupCard(page).getByLabel('Email')).toHaveValue(email);
  await checkPage('index-signup-error');
});

test('signing up again with a taken address shows the same page and tells the owner by email', async ({
  page,
  mailbox,
}) => {
  const person = { email: uniqueEmail('twice'), password: newPassword() };
  await signUp(page, person);
  await verifyFromEmail(page, mailbox, person);
  // Someone else, in a browser that is not logged in as the owner (verifying logged in).
  await page.context().clearCookies();
  await signUp(page, { email: person.email, password: newPassword() });
  const notice = await mailbox.next(person.email);
  expect(notice.subject).toBe('Someone tried to sign up with your email address');
});

test.describe('when log-in does not wait for verification', () => {
  test.use({ ownAppEnv: { EMAIL_VERIFICATION_REQUIRED: 'false' } });

  test('a browser logged in as the account confirms with the "Confirm my email" button', async ({
    page,
    ownApp,
    checkPage,
  }) => {
    const person = { email: uniqueEmail('button'), password: newPassword() };
    await page.goto(`${ownApp.url}/`);
    const signup = signupCard(page);
    await signup.getByLabel('Email').fill(person.email);
    await signup.getByLabel('Password').fill(person.password);
    await signup.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Signed up successfully');
    await page.goto(`${ownApp.url}/`);
    const login = loginCard(page);
    await login.getByLabel('Email or username').fill(person.email);
    await login.getByLabel('Password').fill(person.password);
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByText('Not verified', { exact: true })).toBeVisible();

    // The email, from the dev outbox (mail is written by a queue: reload until it shows).
    await page.goto(`${ownApp.url}/dev/outbox`);
    // The first sign-in from this browser also sent "a new sign-in" (issue 14): the confirmation is the one.
    const mail = page
      .getByRole('article', { name: 'Confirm your email address' })
      .filter({ hasText: person.email });
    await expect(async () => {
      await page.reload();
      await expect(mail).toBeVisible({ timeout: 500 });
    }).toPass();
    await mail.getByRole('link', { name: /\/verify\?/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm your email');
    await checkPage('verify-confirm-button');
    await page.goto(`${ownApp.url}/home`);
    await expect(page.getByText('Not verified', { exact: true })).toBeVisible();
    await page.goBack();
    await page.getByRole('button', { name: 'Confirm my email' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Email verified');
    await page.getByRole('link', { name: 'Go to your account' }).click();
    await expect(page.getByText('Verified', { exact: true })).toBeVisible();
  });
});
