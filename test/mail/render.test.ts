import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAIL_KINDS } from '../../server/mail/kinds.js';
import type { MailKind } from '../../server/mail/mailer.js';
import { describeDuration, renderEmail } from '../../server/mail/render.js';

test('link lifetimes read as people say them', () => {
  assert.deepEqual([900, 86_400, 3600, 60, 172_800, 90].map(describeDuration), [
    '15 minutes',
    '1 day',
    '1 hour',
    '1 minute',
    '2 days',
    '90 seconds',
  ]);
});

test('each email has text and HTML with its link intact and the configured lifetime', async () => {
  const link = 'https://users.example.com/reset-password?access_token=abc&x=1';
  const reset = await renderEmail('reset', 'a@example.com', link, { verify: 86_400, reset: 1800 });
  assert.match(reset.subject, /Reset your password/);
  assert.ok(reset.text.includes(link), 'the text link is not escaped');
  assert.ok(reset.html.includes(link.replace('&', '&amp;')), 'the HTML link is escaped');
  assert.match(reset.text, /30 minutes/);
  const verify = await renderEmail('verify', 'a@example.com', link, { verify: 86_400, reset: 1800 });
  assert.match(verify.text, /1 day/);
  const attempt = await renderEmail('signup-attempt', '<b>@example.com', 'https://users.example.com/', {
    verify: 1,
    reset: 1,
  });
  assert.doesNotMatch(attempt.html, /<b>@/);
});

test('every kind in the table renders its text and HTML, with the link intact', async () => {
  const link = 'https://users.example.com/verify?uid=1&token=abc';
  for (const kind of Object.keys(MAIL_KINDS) as MailKind[]) {
    const email = await renderEmail(
      kind,
      'a@example.com',
      link,
      { verify: 86_400, reset: 900 },
      {
        newEmail: 'new@example.com',
      },
    );
    assert.equal(email.subject, MAIL_KINDS[kind].subject);
    assert.ok(email.text.includes(link), kind);
    assert.ok(email.html.includes(link.replace('&', '&amp;')), kind);
  }
  const notice = await renderEmail(
    'email-change-notice',
    'a@example.com',
    link,
    { verify: 86_400, reset: 900 },
    {
      newEmail: '<b>new@example.com',
    },
  );
  assert.match(notice.text, /<b>new@example\.com/);
  assert.doesNotMatch(notice.html, /<b>new@/, 'params are escaped in HTML');
});
