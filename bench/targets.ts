/**
 * The targets of issue 15 point 3, as data: each names its figure, its limit and which way is
 * better, so a new target is one entry. `scope: 'each'` checks every size; `'largest'` the biggest.
 */
import { f0, f1, f2, loopOf, result, type SizeFigures, times } from './figures.js';

export type Target = {
  name: string;
  scope: 'each' | 'largest';
  better: 'higher' | 'lower';
  value(size: SizeFigures): number;
  limit(size: SizeFigures): number;
  show(size: SizeFigures): string;
};

export type Check = { name: string; figure: string; met: boolean };

const meRatio = (s: SizeFigures) => result(s, 'me').perSecond / result(s, 'bare').perSecond;
const loginRatio = (s: SizeFigures) => result(s, 'login').perSecond / s.bcrypt.comparesPerSecond;
const peakRss = (s: SizeFigures) => s.peakRssMb ?? s.rssAfterStartMb;

export function targetList(heapMb: number): Target[] {
  return [
    {
      name: '`GET /api/users/me` ≥ 0.5 × the bare Koa app',
      scope: 'each',
      better: 'higher',
      value: meRatio,
      limit: () => 0.5,
      show: (s) =>
        `${f0(result(s, 'me').perSecond)} / ${f0(result(s, 'bare').perSecond)} = ${times(meRatio(s))}`,
    },
    {
      name: 'logins/s ≥ 1.85 × single-thread bcryptjs compares/s',
      scope: 'each',
      better: 'higher',
      value: loginRatio,
      limit: () => 1.85,
      show: (s) =>
        `${f1(result(s, 'login').perSecond)} / ${f1(s.bcrypt.comparesPerSecond)} = ${times(loginRatio(s))}`,
    },
    {
      name: 'sign-up p99 ≤ 2 × one bcrypt hash (two at a time, reads running)',
      scope: 'each',
      better: 'lower',
      value: (s) => result(s, 'signup', 'signup').p99,
      limit: (s) => 2 * s.bcrypt.hashMs,
      show: (s) => `${f0(result(s, 'signup', 'signup').p99)} ms vs 2 × ${f1(s.bcrypt.hashMs)} ms`,
    },
    {
      name: 'start-up (spawn to first answer) ≤ 1 s',
      scope: 'largest',
      better: 'lower',
      value: (s) => s.startupMs,
      limit: () => 1000,
      show: (s) => `${f0(s.startupMs)} ms`,
    },
    {
      name: `peak RSS ≤ 300 MB (${heapMb > 0 ? `**old space capped at ${heapMb} MB**: not the target's setting` : 'no heap cap flag'})`,
      scope: 'largest',
      better: 'lower',
      value: peakRss,
      limit: () => 300,
      show: (s) => `${f0(peakRss(s))} MB`,
    },
  ];
}

/** Request figures that must not get worse by more than 10 % from the smallest size to the largest. */
export const STEADY_FIGURES: { name: string; better: 'higher' | 'lower'; value(s: SizeFigures): number }[] = [
  { name: 'me req/s', better: 'higher', value: (s) => result(s, 'me').perSecond },
  { name: 'me ÷ bare', better: 'higher', value: meRatio },
  { name: 'logins/s', better: 'higher', value: (s) => result(s, 'login').perSecond },
  { name: 'logins ÷ compares', better: 'higher', value: loginRatio },
  { name: 'me p99 at fixed rate (ms)', better: 'lower', value: (s) => result(s, 'meAtRate').p99 },
  { name: 'me p99 during login flood (ms)', better: 'lower', value: (s) => result(s, 'flood', 'me').p99 },
  { name: 'sign-up p99 (ms)', better: 'lower', value: (s) => result(s, 'signup', 'signup').p99 },
  { name: 'reads p99 during sign-ups (ms)', better: 'lower', value: (s) => result(s, 'signup', 'reads').p99 },
  { name: 'event-loop max during sign-ups (ms)', better: 'lower', value: (s) => loopOf(s, 'signup').maxMs },
];

const meets = (better: 'higher' | 'lower', value: number, limit: number) =>
  better === 'higher' ? value >= limit : value <= limit;

/** A check whose phase `--phases` left out is not made (result() throws for a phase not run). */
function unlessSkipped<T>(make: () => T): T | null {
  try {
    return make();
  } catch {
    return null;
  }
}

export function checkTargets(figures: SizeFigures[], heapMb: number): Check[] {
  const checks: Check[] = [];
  const bySize = [...figures].sort((a, b) => a.users - b.users);
  const large = bySize.at(-1);
  const small = bySize[0];
  for (const target of targetList(heapMb)) {
    for (const s of target.scope === 'each' ? bySize : large ? [large] : []) {
      const check = unlessSkipped(() => ({
        name: `${target.name} (${f0(s.users)} users)`,
        figure: target.show(s),
        met: meets(target.better, target.value(s), target.limit(s)),
      }));
      if (check) checks.push(check);
    }
  }
  if (small && large && small !== large) {
    for (const figure of STEADY_FIGURES) {
      const pair = unlessSkipped(() => [figure.value(small), figure.value(large)] as const);
      if (!pair) continue;
      const [from, to] = pair;
      // "Worse by at most 10 %": a higher-is-better figure keeps ≥ 0.9 of itself, a lower one ≤ 1.1.
      const limit = figure.better === 'higher' ? from * 0.9 : from * 1.1;
      checks.push({
        name: `${figure.name}: ${f0(large.users)} users within 10 % of ${f0(small.users)}`,
        figure: `${f2(to)} vs ${f2(from)} = ${times(to / from)}`,
        met: meets(figure.better, to, limit),
      });
    }
  }
  return checks;
}
