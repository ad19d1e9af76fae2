import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestPasswordReset, resetPassword } from '../../server/auth/password-reset.js';
import { logIn, logInSteps } from '../../server/auth/sessions.js';
import { totpCodeAt } from '../../server/auth/totp.js';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  regenerateRecoveryCodes,
  turnOffTotp,
  twoFactorSummary,
} from '../../server/auth/two-factor.js';
import {
  completeWithCode,
  SECOND_STEP_SECONDS,
  type SecondStep,
} from '../../server/auth/two-factor-login.js';
import type { AuthDeps, Authenticated } from '../../server/auth/types.js';
import type { UserRecord } from '../../server/store/store.js';
import type { FakeClock } from '../helpers/clock.js';
import {
  code,
  type DomainHarness,
  domainPerTest,
  PASSWORD,
  secretFrom,
  verifiedUser,
} from '../helpers/domain.js';

/** Turns the authenticator app on as the page does: a secret, then the code the app shows. */
async function enrol(domain: DomainHarness, user: UserRecord) {
  const enrolment = beginTotpEnrolment(domain.deps, user, 'Test');
  const { recoveryCodes } = await confirmTotpEnrolment(domain.deps, user, {
    sealed: enrolment.sealed,
    code: await totpCodeAt(enrolment.secret, domain.clock),
  });
  return { secret: enrolment.secret, recoveryCodes };
}

async function secondStep(deps: AuthDeps): Promise<SecondStep> {
  const step = await logInSteps(deps, { email: 'ada@example.com', password: PASSWORD });
  assert.ok('secondStep' in step, 'a two-factor account gets the second step, not a session');
  return step.secondStep;
}

/** The next 30-second step, so a new code exists (a code is accepted once). */
const nextStep = (clock: FakeClock) => clock.advance(30);

describe('auth/two-factor: authenticator app and recovery codes', () => {
  const domain = domainPerTest();

  test('enrolment needs one correct code; the secret is stored sealed and ten recovery codes come once', async () => {
    const user = await verifiedUser(domain());
    const enrolment = beginTotpEnrolment(domain().deps, user, 'Test');
    assert.match(enrolment.uri, /^otpauth:\/\/totp\//);
    assert.equal(
      (await twoFactorSummary(domain().deps, user.id)).on,
      false,
      'nothing stored before the code',
    );
    await assert.rejects(
      confirmTotpEnrolment(domain().deps, user, { sealed: enrolment.sealed, code: '000000' }),
      code('INVALID_CODE'),
    );
    const { recoveryCodes } = await confirmTotpEnrolment(domain().deps, user, {
      sealed: enrolment.sealed,
      code: await totpCodeAt(enrolment.secret, domain().clock),
    });
    assert.equal(recoveryCodes.length, 10);
    const summary = await twoFactorSummary(domain().deps, user.id);
    assert.deepEqual([summary.on, summary.totp, summary.recoveryCodesLeft], [true, true, 10]);
    const mail = await domain().queuedMail();
    assert.ok(mail.some((m) => m.subject === 'Two-factor sign-in is on'));
  });

  test('a password alone never gives a session: logIn refuses with MFA_REQUIRED', async () => {
    const user = await verifiedUser(domain());
    await enrol(domain(), user);
    await assert.rejects(
      logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD }),
      code('MFA_REQUIRED'),
    );
  });

  test('a valid code completes the sign-in; the same code again is refused (no replay)', async () => {
    const user = await verifiedUser(domain());
    const { secret } = await enrol(domain(), user);
    nextStep(domain().clock);
    const current = await totpCodeAt(secret, domain().clock);
    const first = await completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, current);
    assert.equal(first.user.id, user.id);
    assert.ok(first.secret);
    await assert.rejects(
      completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, current),
      code('INVALID_CODE'),
      'a code is accepted once',
    );
  });

  test('one step of clock drift either way is accepted, two are not', async () => {
    const user = await verifiedUser(domain());
    const { secret } = await enrol(domain(), user);
    const { clock } = domain();
    clock.advance(90);
    const behind = await totpCodeAt(secret, { now: () => new Date(clock.now().getTime() - 30_000) });
    await completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, behind);
    clock.advance(90);
    const ahead = await totpCodeAt(secret, { now: () => new Date(clock.now().getTime() + 30_000) });
    await completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, ahead);
    clock.advance(90);
    const farBehind = await totpCodeAt(secret, { now: () => new Date(clock.now().getTime() - 60_000) });
    const farAhead = await totpCodeAt(secret, { now: () => new Date(clock.now().getTime() + 60_000) });
    for (const drifted of [farBehind, farAhead]) {
      await assert.rejects(
        completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, drifted),
        code('INVALID_CODE'),
      );
    }
  });

  test('the second step expires after five minutes', async () => {
    const user = await verifiedUser(domain());
    const { secret } = await enrol(domain(), user);
    const { ticket } = await secondStep(domain().deps);
    domain().clock.advance(SECOND_STEP_SECONDS + 1);
    await assert.rejects(
      completeWithCode(domain().deps, ticket, await totpCodeAt(secret, domain().clock)),
      code('MFA_EXPIRED'),
    );
    await assert.rejects(completeWithCode(domain().deps, `${user.id}.forged`, '123456'), code('MFA_EXPIRED'));
  });

  test('five wrong codes are each refused and the right one still works on a fresh step', async () => {
    const user = await verifiedUser(domain());
    const { secret } = await enrol(domain(), user);
    const { ticket } = await secondStep(domain().deps);
    const right = await totpCodeAt(secret, domain().clock);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await assert.rejects(completeWithCode(domain().deps, ticket, wrong), code('INVALID_CODE'));
    }
    // The page and the API throttle count these (tested over HTTP); the domain refuses each alike.
    nextStep(domain().clock);
    await completeWithCode(domain().deps, ticket, await totpCodeAt(secret, domain().clock));
  });

  test('a recovery code signs in once, the count drops, the owner is told', async () => {
    const user = await verifiedUser(domain());
    const { recoveryCodes } = await enrol(domain(), user);
    const [spent] = recoveryCodes;
    assert.ok(spent);
    await completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, spent.toUpperCase());
    assert.equal((await twoFactorSummary(domain().deps, user.id)).recoveryCodesLeft, 9);
    await assert.rejects(
      completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, spent),
      code('INVALID_CODE'),
      'each recovery code works once',
    );
    const mail = await domain().queuedMail();
    const notice = mail.find((m) => m.subject === 'A recovery code was used');
    assert.ok(notice, `a notice among ${mail.map((m) => m.subject).join(', ')}`);
    assert.match(notice.text, /9 recovery codes are left/);
  });

  test('renewing codes and turning off need the password and a current code; a reset keeps two-factor on', async () => {
    const user = await verifiedUser(domain());
    const { secret, recoveryCodes } = await enrol(domain(), user);
    const session = await completeWithCode(
      domain().deps,
      (await secondStep(domain().deps)).ticket,
      recoveryCodes[0] ?? '',
    );
    const proof: Authenticated = { user: session.user, token: session.token };
    await assert.rejects(
      regenerateRecoveryCodes(domain().deps, proof, { currentPassword: PASSWORD, code: '' }),
      code('REAUTHENTICATION_REQUIRED'),
      'a fresh session alone is not enough',
    );
    await assert.rejects(
      turnOffTotp(domain().deps, proof, { currentPassword: 'wrong password!', code: recoveryCodes[1] ?? '' }),
      code('REAUTHENTICATION_REQUIRED'),
    );
    nextStep(domain().clock);
    const renewed = await regenerateRecoveryCodes(domain().deps, proof, {
      currentPassword: PASSWORD,
      code: await totpCodeAt(secret, domain().clock),
    });
    assert.equal(renewed.length, 10);
    await assert.rejects(
      completeWithCode(domain().deps, (await secondStep(domain().deps)).ticket, recoveryCodes[2] ?? ''),
      code('INVALID_CODE'),
      'the old set stopped working',
    );

    await requestPasswordReset(domain().deps, 'ada@example.com');
    const reset = (await domain().queuedMail()).filter((m) => m.kind === 'reset').at(-1);
    await resetPassword(
      domain().deps,
      secretFrom(reset?.link ?? '', 'access_token'),
      'a brand new passphrase here',
    );
    assert.equal((await twoFactorSummary(domain().deps, user.id)).totp, true, 'a reset never turns it off');
    const again = await logInSteps(domain().deps, {
      email: 'ada@example.com',
      password: 'a brand new passphrase here',
    });
    assert.ok('secondStep' in again, 'after a reset the second step is still asked');
    const fresh = await completeWithCode(domain().deps, again.secondStep.ticket, renewed[1] ?? '');
    const freshProof: Authenticated = { user: fresh.user, token: fresh.token };

    await turnOffTotp(domain().deps, freshProof, {
      currentPassword: 'a brand new passphrase here',
      code: renewed[0] ?? '',
    });
    const summary = await twoFactorSummary(domain().deps, user.id);
    assert.deepEqual([summary.on, summary.recoveryCodesLeft], [false, 0]);
    const step = await logInSteps(domain().deps, {
      email: 'ada@example.com',
      password: 'a brand new passphrase here',
    });
    assert.ok('session' in step, 'with two-factor off the password is enough again');
  });

  test('a password change voids a second step started before it', async () => {
    const user = await verifiedUser(domain());
    const { secret } = await enrol(domain(), user);
    const { ticket } = await secondStep(domain().deps);
    await requestPasswordReset(domain().deps, 'ada@example.com');
    const reset = (await domain().queuedMail()).filter((m) => m.kind === 'reset').at(-1);
    await resetPassword(
      domain().deps,
      secretFrom(reset?.link ?? '', 'access_token'),
      'a brand new passphrase here',
    );
    await assert.rejects(
      completeWithCode(domain().deps, ticket, await totpCodeAt(secret, domain().clock)),
      code('MFA_EXPIRED'),
    );
  });
});
