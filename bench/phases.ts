/**
 * The phases of one size, as data: what loads run together against which server, for how long.
 * run.ts executes them in this order; the report and the targets read their results by id.
 */
import type { ClientJob } from './client.js';

export type PhaseId =
  | 'warmup'
  | 'bare'
  | 'healthz'
  | 'me'
  | 'meAtRate'
  | 'login'
  | 'flood'
  | 'signup'
  | 'profileBare'
  | 'profileMe'
  | 'profileLogin'
  | 'profileSignup';

/** Connections: the saturating read setting, the login flood's, the sign-up pair, or a number. */
export type Connections = 'read' | 'login' | 'signup' | number;

export type JobSpec = {
  kind: ClientJob['kind'];
  /** The app, or the bare Koa reference app. */
  target: 'app' | 'bare';
  connections: Connections;
  /** Requests per second across the job's connections; unset: as fast as answers come. */
  rate?: number;
  /** The phase length in units of `--seconds` (default 1), or `seconds` absolute. */
  length?: number;
  seconds?: number;
};

export type Phase = {
  id: PhaseId;
  label: string;
  /** Concurrent loads by role; a phase with one load calls it `main`. */
  jobs: Record<string, JobSpec>;
  /** Reset the server's event-loop histogram before, read it after. */
  loop?: boolean;
  /** Runs only with `--cpu-prof`: the server's main thread is profiled for this phase alone. */
  profile?: boolean;
  /** Its figures are not reported (it only warms the JIT and the caches). */
  warmup?: boolean;
};

/** The fixed read rate whose p99 is compared alone and beside a login flood or sign-ups. */
export const READ_RATE = 500;
/** Connections carrying the fixed-rate reads (autocannon's default). */
const RATE_CONNECTIONS = 10;

const me = (extra: Partial<JobSpec> = {}): JobSpec => ({
  kind: 'me',
  target: 'app',
  connections: 'read',
  ...extra,
});
const meAtRate = (extra: Partial<JobSpec> = {}) =>
  me({ connections: RATE_CONNECTIONS, rate: READ_RATE, ...extra });
const login = (extra: Partial<JobSpec> = {}): JobSpec => ({
  kind: 'login',
  target: 'app',
  connections: 'login',
  ...extra,
});

export const PHASES: readonly Phase[] = [
  {
    id: 'warmup',
    label: 'warm-up',
    jobs: { me: me({ seconds: 2 }), bare: me({ target: 'bare', seconds: 2 }), login: login({ seconds: 2 }) },
    warmup: true,
  },
  {
    id: 'bare',
    label: 'bare Koa app: GET /api/users/me, saturating',
    jobs: { main: me({ target: 'bare' }) },
  },
  { id: 'me', label: 'the app: GET /api/users/me, saturating', jobs: { main: me() } },
  { id: 'healthz', label: 'the app: GET /healthz, saturating', jobs: { main: { ...me(), kind: 'healthz' } } },
  {
    id: 'meAtRate',
    label: `the app: GET /api/users/me at ${READ_RATE} req/s alone`,
    jobs: { main: meAtRate() },
  },
  { id: 'login', label: 'login flood alone', jobs: { main: login() } },
  {
    id: 'flood',
    label: `GET /api/users/me at ${READ_RATE} req/s during a login flood`,
    jobs: { me: meAtRate(), login: login() },
  },
  {
    id: 'signup',
    label: `two sign-ups at a time beside reads at ${READ_RATE} req/s`,
    // Twice as long: a sign-up takes a whole hash, and its p99 needs more than 50 samples.
    jobs: {
      signup: { kind: 'signup', target: 'app', connections: 'signup', length: 2 },
      reads: meAtRate({ length: 2 }),
    },
    loop: true,
  },
  {
    id: 'profileBare',
    label: 'profiled: bare Koa app, GET /api/users/me, saturating',
    jobs: { main: me({ target: 'bare' }) },
    profile: true,
  },
  { id: 'profileMe', label: 'profiled: GET /api/users/me, saturating', jobs: { main: me() }, profile: true },
  { id: 'profileLogin', label: 'profiled: login flood', jobs: { main: login() }, profile: true },
  {
    id: 'profileSignup',
    label: 'profiled: two sign-ups at a time beside reads',
    // The sign-up phase's loads: where its main-thread time goes (the hashing is on the threads).
    jobs: {
      signup: { kind: 'signup', target: 'app', connections: 'signup' },
      reads: meAtRate(),
    },
    profile: true,
  },
];
