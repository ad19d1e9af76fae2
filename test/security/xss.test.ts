import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from '../helpers/app.js';
import { type FormClient, outboxShowing, pathOf } from '../helpers/browser.js';
import { api, freshBrowser, logInWith, PASSWORD } from './support.js';

// Markup that would run if any view printed it raw: in text, in an attribute ("' quotes), in <title>.
const TEXT = `<script>alert(1)</script>"><img src=x onerror=alert(2)>'><svg onload=alert(3)></title><%= 7*7 %>`;
// Usernames take no spaces, so the same tricks without them.
const USERNAME = `"><img/src=x/onerror=alert(4)><script>alert(5)</script>'`;
// Emails take no <>"(),;: (they mean something in a mail header), but quotes and & remain.
const EMAIL = `o'neil&co'+x@example.com`;

/** The text as EJS's `<%= %>` prints it. */
function escaped(text: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&#34;',
    "'": '&#39;',
  };
  return text.replace(/[&<>"']/g, (char) => entities[char]!);
}

/** The value was rendered back, escaped, and nothing in the page can run. */
function assertInert(html: string, value: string, where: string) {
  assert.ok(html.includes(escaped(value)), `${where}: the value is shown, escaped`);
  if (escaped(value) !== value)
    assert.ok(!html.includes(value), `${where}: the raw value is not in the page`);
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) assert.match(tag, /\ssrc="\/[^"]+"/, where);
  // Attribute values are data (EJS escapes their quotes), so only the markup around them counts.
  const markup = html.replace(/="[^"]*"/g, '=""');
  assert.doesNotMatch(markup, /<[a-z][^>]*\son[a-z]+\s*=/i, `${where}: an event handler attribute`);
  assert.doesNotMatch(html, /<(img|svg)\b/i, `${where}: an injected element`);
  // `<%= 7*7 %>` rendered would be a 49 in the page. Times are left out: a page showing when
  // something happened (the outbox) holds a 49 whenever the seconds or minutes are 49.
  const withoutTimes = html.replace(/<time\b[^>]*>[^<]*<\/time>/gi, '<time></time>');
  assert.doesNotMatch(withoutTimes, /\b49\b/, `${where}: EJS evaluated the input`);
}

async function verify(app: TestApp, browser: FormClient, email: string) {
  const mail = await app.mail.waitFor(email);
  const link = mail.links.find((candidate) => candidate.includes('/verify?'))!;
  // The link's page changes nothing (issue 10.6) and shows the address escaped; the API's confirm verifies.
  const page = await browser.get(pathOf(link));
  assert.equal(page.status, 200);
  assertInert(page.html, email, 'verification page');
  const confirmed = await fetch(new URL(`/api/users/confirm?${new URL(link).searchParams}`, app.url));
  assert.equal(confirmed.status, 204);
  return mail;
}

describe('markup in every user-supplied field is escaped where it is shown again', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  test('login form re-shown (400): the typed email or username', async () => {
    const browser = await freshBrowser(app);
    const page = await browser.post('/login', { email: TEXT, password: '' });
    assert.equal(page.status, 400);
    assertInert(page.html, TEXT, 'login email');
  });

  test('sign-up form re-shown (422): email and username', async () => {
    const browser = await freshBrowser(app);
    const page = await browser.post('/signup', { email: TEXT, username: USERNAME, password: 'short' });
    assert.equal(page.status, 422);
    assertInert(page.html, TEXT, 'sign-up email');
    assertInert(page.html, USERNAME, 'sign-up username');
  });

  test('a safe-looking next path with markup: kept only as an escaped attribute', async () => {
    const next = `/home"><script>alert(7)</script>`;
    const browser = await freshBrowser(app);
    const page = await browser.get(`/?next=${encodeURIComponent(next)}`);
    assertInert(page.html, next, 'hidden next field');
    const failed = await browser.post('/login', { email: 'nobody@example.com', password: 'wrong!', next });
    assert.equal(failed.status, 401);
    // The failed log-in re-renders the form (issue 13.1): the next path, if kept, only escaped.
    assert.ok(!failed.html.includes(next), 'the raw next path is not in the page');
    for (const tag of failed.html.match(/<script\b[^>]*>/gi) ?? []) assert.match(tag, /\ssrc="\/[^"]+"/);
  });

  test('stored markup: an account whose email and username are markup, on every page that shows them', async () => {
    const browser = await freshBrowser(app);
    const signed = await browser.post('/signup', { email: EMAIL, username: USERNAME, password: PASSWORD });
    assert.equal(signed.status, 200, 'such an email and username are accepted (they are only text)');

    // Unverified: the failure page offers to resend, with the typed email in a hidden field.
    await browser.open('/');
    const unverified = await logInWith(browser, EMAIL, PASSWORD);
    assert.equal(unverified.status, 401);
    assertInert(unverified.html, EMAIL, 'resend form');

    // The verification email's HTML part names the address.
    const mail = await verify(app, browser, EMAIL);
    assertInert(mail.html, EMAIL, 'verification email');

    await browser.open('/');
    assert.equal((await logInWith(browser, EMAIL, PASSWORD)).status, 303);
    const home = await browser.get('/home');
    assertInert(home.html, EMAIL, 'home (header and details)');
    assertInert(home.html, USERNAME, 'home username');
    for (const page of ['/', '/change-password', '/logout', '/verified']) {
      assertInert((await browser.open(page)).html, EMAIL, `${page} header`);
    }
  });

  test('an email with markup or mail-header syntax is refused with a clear 422, pages and API', async () => {
    const browser = await freshBrowser(app);
    for (const email of [
      `"><svg/onload=alert(1)>@example.com`,
      '<x>victim@example.com',
      'a@evil.example,b',
    ]) {
      const page = await browser.post('/signup', { email, password: PASSWORD });
      assert.equal(page.status, 422, email);
      assert.match(page.html, /Enter an email address like name@example\.com\./);
      assertInert(page.html, email, 'refused email kept in the form');
      const answer = await api(app, 'POST', '/api/users', { email, password: PASSWORD });
      assert.equal(answer.status, 422, email);
    }
  });

  test('the JSON API returns markup as JSON data, never as HTML', async () => {
    const login = await api(app, 'POST', '/api/users/login', { email: EMAIL, password: PASSWORD });
    assert.equal(login.status, 200);
    const token = (login.json as { id: string }).id;
    const me = await api(app, 'GET', '/api/users/me', undefined, { authorization: token });
    assert.match(me.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((me.json as { username: string }).username, USERNAME);
    const notFound = await api(app, 'GET', `/api/users/${encodeURIComponent(TEXT)}`, undefined, {
      authorization: token,
    });
    assert.match(notFound.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('a 404 for a path full of markup does not print the path', async () => {
    const browser = await freshBrowser(app);
    const page = await browser.get(`/${encodeURIComponent(TEXT)}`);
    assert.equal(page.status, 404);
    assert.doesNotMatch(page.html, /<script>alert|onerror=|onload=/);
  });
});

describe('the dev outbox shows stored mail escaped', () => {
  let app: TestApp;
  before(async () => {
    // No SMTP_URL: mail goes to the development outbox, listed at /dev/outbox.
    app = await startApp({ env: { SMTP_URL: '' } });
  });
  after(async () => {
    await app.close();
  });

  test('recipient, subject, body and links', async () => {
    const browser = await freshBrowser(app);
    assert.equal((await browser.post('/signup', { email: EMAIL, password: PASSWORD })).status, 200);
    const page = await outboxShowing(browser, escaped(EMAIL));
    assert.equal(page.status, 200);
    assertInert(page.html, EMAIL, 'outbox');
  });
});
