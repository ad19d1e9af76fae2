import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resendVerification, signUp } from '../../server/auth/sign-up.js';
import { verifyEmail } from '../../server/auth/verification.js';
import { code, domainPerTest, PASSWORD, secretFrom, verifiedUser } from '../helpers/domain.js';

describe('auth/sign-up', () => {
  const domain = domainPerTest();

  test('sign-up stores a bcrypt hash, never the password, and emails a verification link from APP_URL', async () => {
    const user = await signUp(domain().deps, { email: ' Ada@Example.com ', password: PASSWORD }, 'reject');
    assert.ok(user);
    assert.equal(user.id, 1, 'ids are whole numbers from 1');
    assert.equal(user.email, 'Ada@Example.com');
    assert.equal(user.emailKey, 'ada@example.com');
    assert.match(user.passwordHash, /^\$2[aby]\$04\$/);
    const [mail] = await domain().queuedMail();
    assert.equal(mail?.kind, 'verify');
    assert.equal(mail?.to, 'Ada@Example.com', 'mail goes to the address as typed');
    assert.ok(mail?.link.startsWith('https://users.example.test/verify?uid=1&token='));
  });

  test('email and username are unique ignoring case', async () => {
    await signUp(domain().deps, { email: 'ada@example.com', username: 'Ada', password: PASSWORD }, 'reject');
    await assert.rejects(
      signUp(domain().deps, { email: 'ADA@example.com', password: PASSWORD }, 'reject'),
      code('VALIDATION_ERROR', { email: ['uniqueness'] }),
    );
    await assert.rejects(
      signUp(domain().deps, { email: 'other@example.com', username: 'ADA', password: PASSWORD }, 'reject'),
      code('VALIDATION_ERROR', { username: ['uniqueness'] }),
    );
  });

  test('lookalikes of a taken address are refused, never signed up beside it (issue 10.4)', async () => {
    await signUp(domain().deps, { email: 'bob@example.com', password: PASSWORD }, 'reject');
    for (const lookalike of [
      'bob\u00ad@example.com',
      'b\u200bob@example.com',
      'bob@ex\u00adample.com',
      'bob@\uff45xample.com',
    ]) {
      await assert.rejects(
        signUp(domain().deps, { email: lookalike, password: PASSWORD }, 'reject'),
        code('VALIDATION_ERROR', { email: ['characters'] }),
        JSON.stringify(lookalike),
      );
    }
    await assert.rejects(
      signUp(domain().deps, { email: '\u212Aate@example.com', password: PASSWORD }, 'reject'),
      code('VALIDATION_ERROR', { email: ['characters'] }),
    );
    assert.ok(await signUp(domain().deps, { email: 'kate@example.com', password: PASSWORD }, 'reject'));
    await assert.rejects(
      signUp(domain().deps, { email: 'x@example.com', username: 'ad\u202ea', password: PASSWORD }, 'reject'),
      code('VALIDATION_ERROR', { username: ['characters'] }),
    );
  });

  test('a taken email under notify-owner creates nothing and emails the owner', async () => {
    await signUp(domain().deps, { email: 'ada@example.com', password: PASSWORD }, 'notify-owner');
    const again = await signUp(
      domain().deps,
      { email: 'ADA@example.com', password: 'another long password' },
      'notify-owner',
    );
    assert.equal(again, null);
    const kinds = (await domain().queuedMail()).map((m) => m.kind);
    assert.deepEqual(kinds, ['verify', 'signup-attempt']);
  });

  test('a taken username says so whatever the email: the username is checked first (issue 10.3)', async () => {
    await signUp(
      domain().deps,
      { email: 'ada@example.com', username: 'ada', password: PASSWORD },
      'notify-owner',
    );
    for (const email of ['ada@example.com', 'free@example.com']) {
      await assert.rejects(
        signUp(domain().deps, { email, username: 'ADA', password: PASSWORD }, 'notify-owner'),
        code('VALIDATION_ERROR', { username: ['uniqueness'] }),
        email,
      );
    }
  });

  test('password policy: length in characters, 72 bytes at most, common and personal passwords refused', async () => {
    const attempt = (password: string, email = 'p@example.com', username: string | null = 'pat') =>
      signUp(domain().deps, { email, username, password }, 'reject');
    await assert.rejects(
      attempt('short pass'),
      code('VALIDATION_ERROR', { password: ['password.tooShort'] }),
    );
    await assert.rejects(attempt('x'.repeat(73)), code('PASSWORD_TOO_LONG'));
    await assert.rejects(attempt('é'.repeat(37)), code('PASSWORD_TOO_LONG'), '74 bytes in 37 characters');
    await assert.rejects(
      attempt('qwerty123456'),
      code('VALIDATION_ERROR', { password: ['password.common'] }),
    );
    await assert.rejects(
      attempt('p@example.com'),
      code('VALIDATION_ERROR', { password: ['password.matchesEmail'] }),
    );
    await assert.rejects(
      signUp(
        domain().deps,
        { email: 'q@example.com', username: 'a-long-username-here', password: 'A-Long-Username-Here' },
        'reject',
      ),
      code('VALIDATION_ERROR', { password: ['password.matchesUsername'] }),
    );
    assert.ok(await attempt('🔐 spaces and emoji are fine 🎉'));
    assert.ok(await attempt(`${'x'.repeat(71)}y`, 'seventy-two@example.com', null));
  });

  test('resend replaces the link (the older email is never sent) and is silent for others', async () => {
    const user = await signUp(domain().deps, { email: 'v@example.com', password: PASSWORD }, 'reject');
    assert.ok(user);
    // Both requests land before the queue runs: the first link is dead by then, so its mail is dropped.
    await resendVerification(domain().deps, 'V@example.com');
    const mails = await domain().queuedMail();
    assert.equal(mails.filter((m) => m.kind === 'verify').length, 1, 'only the live link is sent');
    await verifyEmail(domain().deps, user.id, secretFrom(mails[0]!.link));
    const before = (await domain().queuedMail()).length;
    await resendVerification(domain().deps, 'v@example.com');
    await resendVerification(domain().deps, 'ghost@example.com');
    await resendVerification(domain().deps, 'gh\u200bost@example.com');
    await resendVerification(domain().deps, '');
    assert.equal((await domain().queuedMail()).length, before, 'verified or unknown: no mail');
  });

  test('resend finds an unverified account by username too', async () => {
    await verifiedUser(domain(), 'known@example.com');
    await signUp(
      domain().deps,
      { email: 'u@example.com', username: 'unverified', password: PASSWORD },
      'reject',
    );
    const before = (await domain().queuedMail()).length;
    await resendVerification(domain().deps, 'UNVERIFIED');
    const after = await domain().queuedMail();
    assert.equal(after.length, before + 1);
    assert.equal(after.at(-1)?.to, 'u@example.com');
  });
});
