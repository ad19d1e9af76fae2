import { after, afterEach, beforeEach } from 'node:test';
import { AuthError } from '../../server/auth/errors.js';
import { createAuthEvents } from '../../server/auth/events.js';
import type { PasswordHasher } from '../../server/auth/password-hasher.js';
import { createLinkSealer } from '../../server/auth/sealed-links.js';
import { signUp } from '../../server/auth/sign-up.js';
import type { AuthDeps, AuthSettings } from '../../server/auth/types.js';
import { verifyEmail } from '../../server/auth/verification.js';
import { createWorkerPasswordHasher } from '../../server/hashing/worker-pool.js';
import { MAIL_KINDS } from '../../server/mail/kinds.js';
import type { Mailer, MailKind, OutgoingEmail } from '../../server/mail/mailer.js';
import { type MailQueueOptions, startMailQueue } from '../../server/mail/queue.js';
import { createMemoryStore } from '../../server/store/lowdb/memory.js';
import type { UserRecord } from '../../server/store/store.js';
import { createFakeClock, type FakeClock } from './clock.js';

export const TEST_SETTINGS: AuthSettings = {
  appUrl: 'https://users.example.test',
  emailVerificationRequired: true,
  accessTokenTtl: 1_209_600,
  maxAccessTokenTtl: 31_556_926,
  resetTokenTtl: 900,
  verifyTokenTtl: 86_400,
  bcryptRounds: 4,
  passwordMinLength: 12,
  // The floor is real time; domain tests assert outcomes, never durations.
  answerFloorMs: 1,
};

/** A delivered email, as a person would find it: its kind (by subject) and its first link. */
export type DeliveredMail = OutgoingEmail & { kind: MailKind; link: string };

export type DomainHarness = {
  deps: AuthDeps;
  clock: FakeClock;
  /**
   * Runs the real mail queue until nothing is due and returns every email delivered so far,
   * oldest first. Mail whose link died before delivery is dropped, as in production.
   */
  queuedMail(): Promise<DeliveredMail[]>;
  /** Runs the queue now and waits until it is idle. */
  drain(): Promise<void>;
  close(): Promise<void>;
};

let sharedHasher: PasswordHasher | null = null;

const kindBySubject = new Map(
  Object.entries(MAIL_KINDS).map(([kind, spec]) => [spec.subject, kind as MailKind]),
);

/**
 * The domain on the store's in-memory implementation, a real hashing pool, a fake clock and the
 * real mail queue delivering to a transport that keeps what it is given.
 */
export async function createDomain(
  settings: Partial<AuthSettings> = {},
  options: {
    /** A real transport (SMTP) instead of the keeping one; `queuedMail()` then sees nothing. */
    mailer?: Mailer;
    log?: MailQueueOptions['log'];
    queue?: Partial<MailQueueOptions>;
    /** Wire `mailQueued` to the queue, as server.ts does. */
    wake?: boolean;
  } = {},
): Promise<DomainHarness> {
  const store = createMemoryStore();
  sharedHasher ??= createWorkerPasswordHasher(2);
  const clock = createFakeClock();
  const sealer = createLinkSealer(['a test key that is only used by the domain tests']);
  const events = createAuthEvents();
  const delivered: DeliveredMail[] = [];
  const mailer: Mailer = options.mailer ?? {
    async send(email) {
      const link = /https?:\/\/[^\s<>"')]+/.exec(email.text)?.[0] ?? '';
      delivered.push({ ...email, kind: kindBySubject.get(email.subject) ?? 'verify', link });
    },
    async close() {},
  };
  const fullSettings = { ...TEST_SETTINGS, ...settings };
  const queue = startMailQueue({
    store,
    mailer,
    now: () => clock.now(),
    log: options.log ?? { info() {}, warn() {}, error() {} },
    openLink: (sealed) => sealer.open(sealed),
    lifetimes: { verify: fullSettings.verifyTokenTtl, reset: fullSettings.resetTokenTtl },
    ...options.queue,
  });
  if (options.wake) events.on('mailQueued', () => queue.wake());
  // Not wired to `mailQueued` (server.ts does that): tests decide when the queue runs, so "two
  // links queued before delivery" is a state a test can build.
  const deps: AuthDeps = { store, hasher: sharedHasher, clock, events, sealer, settings: fullSettings };
  return {
    deps,
    clock,
    async drain() {
      queue.wake();
      await queue.idle();
    },
    async queuedMail() {
      queue.wake();
      await queue.idle();
      return [...delivered];
    },
    async close() {
      await queue.stop();
      await mailer.close();
      await store.close();
    },
  };
}

/** Ends the shared hashing pool so the test process can exit. */
export async function closeHasher() {
  await sharedHasher?.close();
  sharedHasher = null;
}

export const PASSWORD = 'correct horse battery staple';

/** An assert.rejects predicate: an AuthError with this code (and these problem codes, if given). */
export const code =
  (expected: string, problems?: Record<string, string[]>) =>
  (error: unknown): boolean =>
    error instanceof AuthError &&
    error.code === expected &&
    (problems === undefined ||
      Object.entries(problems).every(
        ([field, list]) => JSON.stringify(error.problems?.[field]) === JSON.stringify(list),
      ));

/** The value of `parameter` in an emailed link. */
export function secretFrom(link: string, parameter = 'token'): string {
  return new URL(link).searchParams.get(parameter) ?? '';
}

/** Signs up and follows the verification email, as a person would. */
export async function verifiedUser(
  domain: DomainHarness,
  email = 'ada@example.com',
  username: string | null = null,
): Promise<UserRecord> {
  const user = await signUp(domain.deps, { email, username, password: PASSWORD }, 'reject');
  if (!user) throw new Error('sign-up created nobody');
  const mail = (await domain.queuedMail()).filter((m) => m.to === email && m.kind === 'verify').at(-1);
  if (!mail) throw new Error(`no verification mail to ${email}`);
  return verifyEmail(domain.deps, user.id, secretFrom(mail.link));
}

/**
 * A fresh domain for each test of the calling suite (closed after it), and the shared hashing pool
 * ended after the suite: `const domain = domainPerTest(); … domain().deps`.
 */
export function domainPerTest(settings: Partial<AuthSettings> = {}): () => DomainHarness {
  let current: DomainHarness | null = null;
  beforeEach(async () => {
    current = await createDomain(settings);
  });
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  after(closeHasher);
  return () => {
    if (!current) throw new Error('domainPerTest: used outside a test');
    return current;
  };
}
