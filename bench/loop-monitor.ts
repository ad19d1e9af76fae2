/**
 * The server process of the benchmark: `npm start`'s own entry (server/server.ts, unchanged) plus
 * an event-loop delay sampler and an on-demand CPU profiler that answer the benchmark over the IPC
 * channel, so figures are measured where requests are served, not in the client. (A `--import`
 * preload would also run in every hashing thread, which inherit the process's flags.)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { handleProfileCommand, type ProfileCommand } from './profiler.js';

export type LoopReport = {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  rssBytes: number;
  heapUsedBytes: number;
};
export type LoopCommand = { type: 'loop-reset' } | { type: 'loop-read' } | ProfileCommand;

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

async function handle(message: LoopCommand): Promise<void> {
  if (message.type === 'loop-reset') {
    histogram.reset();
    process.send?.({ type: 'loop-reset-done' });
  } else if (message.type === 'loop-read') {
    const report: LoopReport = {
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      meanMs: histogram.mean / 1e6,
      rssBytes: process.memoryUsage.rss(),
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
    process.send?.({ type: 'loop-report', report });
  } else {
    await handleProfileCommand(message);
  }
}

if (process.send) {
  process.on('message', (message: LoopCommand) => {
    handle(message).catch((error: unknown) => {
      process.stderr.write(`bench monitor: ${String(error)}\n`);
    });
  });
  // The channel must not keep a stopping server alive, and a bench that died stops its server
  // the graceful way (server.ts drains on SIGTERM).
  process.channel?.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

// server.ts starts itself only when it is the entry script; this file stands in for it.
const entry = fileURLToPath(new URL('../server/server.ts', import.meta.url));
process.argv[1] = entry;
await import('../server/server.js');
