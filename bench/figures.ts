/** What one size of a run measured, and how the report and the targets read it. */
import type { ClientResult } from './client.js';
import type { LoopReport } from './loop-report.js';
import type { PhaseId } from './phases.js';
import type { ProfileSummary } from './profile.js';
import type { StoreFigures } from './store-alone.js';

export type SizeFigures = {
  users: number;
  /** CPU pressure (%) from other processes when this size began and when it ended. */
  pressureBefore: number | null;
  pressureAfter: number | null;
  seedMb: number | null;
  startupMs: number;
  rssAfterStartMb: number;
  peakRssMb: number | null;
  /** Bytes the server's request log received over the run (proof that it logged). */
  logBytes: number;
  results: Partial<Record<PhaseId, Record<string, ClientResult>>>;
  loops: Partial<Record<PhaseId, LoopReport>>;
  bcrypt: { comparesPerSecond: number; hashMs: number };
  store: StoreFigures | null;
  profiles: Partial<Record<PhaseId, ProfileSummary>>;
  /** The database server's CPU in each phase, in cores busy (CPU seconds ÷ wall seconds); PostgreSQL only. */
  databaseCpu?: Partial<Record<PhaseId, number>>;
};

/** The result of `role` in `phase`; throws if that phase did not run (a bug in the phase list). */
export function result(size: SizeFigures, phase: PhaseId, role = 'main'): ClientResult {
  const found = size.results[phase]?.[role];
  if (!found) throw new Error(`no result for ${phase}/${role}`);
  return found;
}

export function loopOf(size: SizeFigures, phase: PhaseId): LoopReport {
  const found = size.loops[phase];
  if (!found) throw new Error(`no event-loop report for ${phase}`);
  return found;
}

export const f0 = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 0 });
export const f1 = (value: number) =>
  value.toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
export const f2 = (value: number) =>
  value.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const times = (value: number) => `${f2(value)}×`;
