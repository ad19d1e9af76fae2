/**
 * Reads a V8 CPU profile (.cpuprofile, as `--cpu-prof` or the inspector writes it) into self time
 * per function and per package, optionally per request.
 */
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number(),
      }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.infer<typeof profileSchema>;

export const parseProfile = (text: string): CpuProfile => profileSchema.parse(JSON.parse(text));

export type SelfTime = { name: string; selfUs: number };

export type ProfileSummary = {
  /** Sampled wall time, µs. */
  totalUs: number;
  /** Time the thread was not idle (JavaScript, native code, garbage collection), µs. */
  busyUs: number;
  /** Time spent under `excludeUrl` (the bench's own profiler calls), not in busyUs, µs. */
  excludedUs: number;
  /** Requests served while profiled; per-request figures divide by it (1 if unknown). */
  requests: number;
  functions: SelfTime[];
  packages: SelfTime[];
};

/** `node_modules/koa/lib/application.js` → `koa`; our files by path from the project root. */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node: (built-ins)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const ours = /\/(server|bench)\/(.+)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url.replace(/^file:\/\//, '');
}

function location(url: string, line: number): string {
  if (!url) return '';
  const modules = url.lastIndexOf('node_modules/');
  const short =
    modules >= 0 ? url.slice(modules + 'node_modules/'.length) : url.replace(/^.*\/(server|bench)\//, '$1/');
  return `${short}:${line + 1}`;
}

const sorted = (map: Map<string, number>): SelfTime[] =>
  [...map.entries()].map(([name, selfUs]) => ({ name, selfUs })).sort((a, b) => b.selfUs - a.selfUs);

/** Frames of the bench's own profiler commands: starting and stopping a profile costs ~0.2 s. */
const BENCH_PROFILER = /bench\/profiler\.ts$/;

/** Ids of nodes under a frame whose url matches `pattern`, the frame itself included. */
function nodesUnder(profile: CpuProfile, pattern: RegExp): Set<number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const found = new Set<number>();
  const mark = (id: number) => {
    if (found.has(id)) return;
    found.add(id);
    for (const child of byId.get(id)?.children ?? []) mark(child);
  };
  for (const node of profile.nodes) if (pattern.test(node.callFrame.url)) mark(node.id);
  return found;
}

export function summariseProfile(
  profile: CpuProfile,
  requests = 1,
  excludeUrl = BENCH_PROFILER,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const excluded = nodesUnder(profile, excludeUrl);
  let excludedUs = 0;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, index) => {
    // A sample's delta is the time since the previous one: it is charged to this sample's frame.
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    if (excluded.has(id)) {
      excludedUs += delta;
      return;
    }
    busyUs += delta;
    const name = `${frame.functionName || '(anonymous)'} ${location(frame.url, frame.lineNumber)}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + delta);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
  });
  return {
    totalUs: profile.endTime - profile.startTime,
    busyUs,
    excludedUs,
    requests: Math.max(1, requests),
    functions: sorted(functions),
    packages: sorted(packages),
  };
}

/** Lines of text: the busy time, then the top `top` functions and packages by self time. */
export function formatSummary(summary: ProfileSummary, top = 20): string {
  const per = summary.requests > 1;
  const us = (value: number) => (per ? (value / summary.requests).toFixed(1) : value.toFixed(0));
  const unit = per ? 'µs/request' : 'µs';
  const share = (value: number) => `${((100 * value) / Math.max(1, summary.busyUs)).toFixed(1)}%`;
  const rows = (list: SelfTime[]) =>
    list
      .slice(0, top)
      .map((entry) => `  ${us(entry.selfUs).padStart(9)}  ${share(entry.selfUs).padStart(6)}  ${entry.name}`);
  return [
    `busy ${us(summary.busyUs)} ${unit} of ${(summary.totalUs / 1e6).toFixed(1)} s sampled` +
      (per ? ` (${summary.requests} requests)` : '') +
      (summary.excludedUs > 0
        ? `; the bench's profiler calls (${(summary.excludedUs / 1000).toFixed(0)} ms) left out`
        : ''),
    `top functions by self time (${unit}, share of busy):`,
    ...rows(summary.functions),
    `by package or file (${unit}, share of busy):`,
    ...rows(summary.packages),
  ].join('\n');
}
