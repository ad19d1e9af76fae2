import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuthEvents } from '../../server/auth/events.js';
import type { PasswordHasher } from '../../server/auth/password-hasher.js';
import { createLinkSealer } from '../../server/auth/sealed-links.js';
import type { AuthDeps, AuthSettings } from '../../server/auth/types.js';
import { createWorkerPasswordHasher } from '../../server/hashing/worker-pool.js';
import { createLowdbStore } from '../../server/store/lowdb.js';
import type { MailRecord } from '../../server/store/store.js';
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
};

export type DomainHarness = {
  deps: AuthDeps;
  clock: FakeClock;
  /** Mail the rules queued, oldest first, with its link opened (as the queue would). */
  queuedMail(): Promise<Array<MailRecord & { link: string }>>;
  close(): Promise<void>;
};

let sharedHasher: PasswordHasher | null = null;

/** The domain on a real lowdb file in a temp folder, a real hashing pool and a fake clock. */
export async function createDomain(settings: Partial<AuthSettings> = {}): Promise<DomainHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-domain-'));
  const store = await createLowdbStore(path.join(dir, 'db.json'));
  sharedHasher ??= createWorkerPasswordHasher(2);
  const clock = createFakeClock();
  const sealer = createLinkSealer(['a test key that is only used by the domain tests']);
  const deps: AuthDeps = {
    store,
    hasher: sharedHasher,
    clock,
    events: createAuthEvents(),
    sealer,
    settings: { ...TEST_SETTINGS, ...settings },
  };
  return {
    deps,
    clock,
    queuedMail: async () =>
      (await store.listDueMail(new Date('2100-01-01T00:00:00.000Z'), 1000)).map((mail) => ({
        ...mail,
        link: sealer.open(mail.sealedLink),
      })),
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Ends the shared hashing pool so the test process can exit. */
export async function closeHasher() {
  await sharedHasher?.close();
  sharedHasher = null;
}
