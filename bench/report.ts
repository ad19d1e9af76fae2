/** The table and bench/RESULTS.md, from the figures of every size. */
import type { ClientResult } from './client.js';
import { f0, f1, f2, loopOf, result, type SizeFigures, times } from './figures.js';
import { describeMachine } from './machine.js';
import type { BenchOptions } from './options.js';
import { READ_RATE } from './phases.js';
import { formatSummary } from './profile.js';
import { type Check, checkTargets } from './targets.js';

const rate = (r: ClientResult, digits = f0) => `${digits(r.perSecond)} (${f2(r.p50)} / ${f2(r.p99)})`;
const ms = (value: number | undefined) => (value === undefined ? '–' : f0(value));

/** Rows as data: a label and how to show it for one size. */
const ROWS: [string, (s: SizeFigures) => string][] = [
  ['**bare Koa app** `GET /api/users/me`: req/s (p50 / p99 ms)', (s) => rate(result(s, 'bare'))],
  ['the app `GET /api/users/me`: req/s (p50 / p99 ms)', (s) => rate(result(s, 'me'))],
  ['**me ÷ bare Koa**', (s) => times(result(s, 'me').perSecond / result(s, 'bare').perSecond)],
  ['the app `GET /healthz`: req/s (p50 / p99 ms)', (s) => rate(result(s, 'healthz'))],
  ['healthz ÷ bare Koa', (s) => times(result(s, 'healthz').perSecond / result(s, 'bare').perSecond)],
  ['`POST /api/users/login`: logins/s (p50 / p99 ms)', (s) => rate(result(s, 'login'), f1)],
  ['bcryptjs compare, one thread, plain loop: /s', (s) => f1(s.bcrypt.comparesPerSecond)],
  [
    '**logins ÷ single-thread compares**',
    (s) => times(result(s, 'login').perSecond / s.bcrypt.comparesPerSecond),
  ],
  [
    `me at ${READ_RATE} req/s alone: p50 / p99 ms`,
    (s) => `${f2(result(s, 'meAtRate').p50)} / ${f2(result(s, 'meAtRate').p99)}`,
  ],
  [
    `me at ${READ_RATE} req/s during a login flood: p50 / p99 ms`,
    (s) => `${f2(result(s, 'flood', 'me').p50)} / ${f2(result(s, 'flood', 'me').p99)}`,
  ],
  ['logins/s during that flood', (s) => f1(result(s, 'flood', 'login').perSecond)],
  ['sign-ups/s, two at a time beside reads (p50 / p99 ms)', (s) => rate(result(s, 'signup', 'signup'), f1)],
  ['bcryptjs hash, one thread: ms', (s) => f1(s.bcrypt.hashMs)],
  ['**sign-up p99 ÷ one hash**', (s) => times(result(s, 'signup', 'signup').p99 / s.bcrypt.hashMs)],
  ['reads during sign-ups: p99 ms', (s) => f2(result(s, 'signup', 'reads').p99)],
  ['event-loop max delay during sign-ups (ms)', (s) => f1(loopOf(s, 'signup').maxMs)],
  ['start-up, spawn to first answer (ms)', (s) => f0(s.startupMs)],
  [
    'RSS after start / peak (MB)',
    (s) => `${f0(s.rssAfterStartMb)} / ${s.peakRssMb === null ? '?' : f0(s.peakRssMb)}`,
  ],
  ['seed (MB)', (s) => (s.seedMb === null ? '–' : f1(s.seedMb))],
  ['request log written (MB)', (s) => f1(s.logBytes / 1e6)],
  [
    'CPU pressure before / after (PSI some avg10, %)',
    (s) => `${s.pressureBefore ?? '?'} / ${s.pressureAfter ?? '?'}`,
  ],
  [
    'store alone: compaction ms (event-loop max ms, commits meanwhile)',
    (s) =>
      s.store
        ? `${f0(s.store.compactionMs)} (${f1(s.store.compactionLoopMaxMs)}, ${s.store.commitsDuringCompaction})`
        : '–',
  ],
  [
    'store alone: sweep of every token: tokens, ms (event-loop max ms)',
    (s) =>
      s.store ? `${f0(s.store.sweptTokens)}, ${f0(s.store.sweepMs)} (${f1(s.store.sweepLoopMaxMs)})` : '–',
  ],
  [
    'database CPU, cores busy: me / login / sign-ups',
    (s) =>
      s.databaseCpu
        ? (['me', 'login', 'signup'] as const).map((id) => f2(s.databaseCpu?.[id] ?? Number.NaN)).join(' / ')
        : '–',
  ],
  ['profiled: bare Koa busy µs/request', (s) => ms(perRequest(s, 'profileBare'))],
  ['profiled: me main-thread busy µs/request', (s) => ms(perRequest(s, 'profileMe'))],
  ['profiled: login main-thread busy µs/request', (s) => ms(perRequest(s, 'profileLogin'))],
  ['profiled: sign-ups with reads, main-thread busy µs/request', (s) => ms(perRequest(s, 'profileSignup'))],
];

type Profiled = 'profileBare' | 'profileMe' | 'profileLogin' | 'profileSignup';
const PROFILE_TITLES: Record<Profiled, string> = {
  profileBare: 'bare Koa app, GET /api/users/me',
  profileMe: 'GET /api/users/me',
  profileLogin: 'POST /api/users/login',
  profileSignup: 'POST /api/users (two at a time) with GET /api/users/me at 500 req/s',
};

function perRequest(s: SizeFigures, phase: Profiled): number | undefined {
  const profile = s.profiles[phase];
  return profile ? profile.busyUs / profile.requests : undefined;
}

/** A row whose phase `--phases` left out shows a dash. */
function unlessSkipped(cell: (s: SizeFigures) => string, size: SizeFigures): string {
  try {
    return cell(size);
  } catch {
    return '–';
  }
}

export function table(figures: SizeFigures[]): string {
  const header = `| | ${figures.map((size) => `${f0(size.users)} users`).join(' | ')} |`;
  const rule = `|---|${figures.map(() => '---:').join('|')}|`;
  return [
    header,
    rule,
    ...ROWS.map(
      ([label, cell]) => `| ${label} | ${figures.map((size) => unlessSkipped(cell, size)).join(' | ')} |`,
    ),
  ].join('\n');
}

export const checkLine = (check: Check) =>
  `${check.met ? 'met    ' : 'NOT MET'}  ${check.name}: ${check.figure}`;

function profiles(figures: SizeFigures[]): string {
  const parts = figures.flatMap((s) =>
    (['profileBare', 'profileMe', 'profileLogin', 'profileSignup'] as const).flatMap((phase) => {
      const summary = s.profiles[phase];
      if (!summary) return [];
      const title = PROFILE_TITLES[phase];
      return [`### ${title}, ${f0(s.users)} users\n\n\`\`\`text\n${formatSummary(summary, 15)}\n\`\`\``];
    }),
  );
  if (parts.length === 0) return '';
  return `\n## Per-request work on the server's main thread (CPU profile)\n\nSampled every 100 µs by the inspector inside the server process during a separate saturating phase
(so profiling slows none of the figures above); busy = not idle (JavaScript, native code, GC),
divided by the requests answered. bcrypt runs on the hashing threads and is not in these figures.\n\n${parts.join('\n\n')}\n`;
}

export function report(
  figures: SizeFigures[],
  options: BenchOptions,
  started: Date,
  tookSeconds: number,
  tree: string,
): string {
  const checks = checkTargets(figures, options.heapMb);
  const heap = options.heapMb > 0 ? `\`--max-old-space-size=${options.heapMb}\`` : 'no heap cap flag';
  return `# Benchmark results

Written by \`npm run bench\` (bench/run.ts) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${f0(tookSeconds)} s.

**Machine:** ${describeMachine()}. **Tree:** ${tree}.

**Settings (production in every figure):** the real app (\`server/server.ts\`) with \`NODE_ENV=production\`,
\`RATE_LIMITS=on\`, \`LOG_LEVEL=info\` with the request log going to a file, the security headers and the
session middleware as configured, \`BCRYPT_ROUNDS=10\`, hashing threads = cores (${options.cores}), \`TRUST_PROXY=true\`,
${heap}; store \`${options.store}\` seeded with N verified users, one live access token each; a local
SMTP server that accepts and discards. The reference is a **bare Koa app with @koa/router** in its own
process answering the same JSON body, measured with the same client settings in the same run.
autocannon runs in its own process per concurrent load: ${options.connections} connections for saturating reads,
${options.cores * 2} for login floods, 2 for sign-ups, 10 for fixed-rate reads at ${READ_RATE} req/s; each phase ${options.seconds} s
(sign-ups ${options.seconds * 2} s). Latencies are of 2xx answers, in ms.

${table(figures)}

## Targets (issue 15)

| target | figure | |
|---|---|---|
${checks.map((check) => `| ${check.name} | ${check.figure} | ${check.met ? 'met' : '**not met**'} |`).join('\n')}
${profiles(figures)}
## How it is measured

- **Rate limits stay on.** Logins are all correct, so the limiter gives every attempt back; sign-ups
  carry one \`X-Forwarded-For\` address each (a crowd behind a proxy, not one abuser).
- **Single-thread bcryptjs:** \`compareSync\` and \`hashSync\` at cost 10 in a plain loop in the bench
  process while the server idles.
- **Event-loop delay:** \`monitorEventLoopDelay\` inside the server process (\`bench/loop-monitor.mjs\`
  runs \`npm start\`'s entry, \`scripts/start.mjs\`, unchanged), reset at the start of the sign-up phase.
- **Start-up:** from spawning the server process to the first \`/healthz\` answer, running what
  \`npm start\` runs: the server compiled to \`dist/\` (the bench builds it from the tree first, as
  \`npm install\`'s \`prepare\` does). **RSS:** after start, and the peak (VmHWM).
- **A shared machine:** before each size the bench waits up to ${options.quietWait} s for Linux's CPU pressure
  (PSI \`some avg10\`) to fall to 5 %, and reports it before and after (the "after" includes the
  bench's own last phase). Figures taken under high pressure are not the app's.
- ${options.cores} cores are shared by the server's event loop, its hashing threads and the client processes.
`;
}
