/** What the server process (bench/loop-monitor.mjs) answers over its IPC channel. */
import type { ProfileCommand } from './profiler.mjs';

export type LoopReport = {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  rssBytes: number;
  heapUsedBytes: number;
};
export type LoopCommand = { type: 'loop-reset' } | { type: 'loop-read' } | ProfileCommand;
