// The server process of the benchmark: `npm start`'s own entry (scripts/start.mjs: the compiled
// server in dist/, unchanged) plus an event-loop delay sampler and an on-demand CPU profiler that
// answer the benchmark over the IPC channel, so figures are measured where requests are served,
// not in the client. Plain JavaScript, so the process runs without the TypeScript loader as
// `npm start` does. (A `--import` preload would also run in every hashing thread, which inherit
// the process's flags.) The message shapes are in loop-report.ts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { handleProfileCommand } from './profiler.mjs';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

async function handle(message) {
  if (message.type === 'loop-reset') {
    histogram.reset();
    process.send?.({ type: 'loop-reset-done' });
  } else if (message.type === 'loop-read') {
    const report = {
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
  process.on('message', (message) => {
    handle(message).catch((error) => {
      process.stderr.write(`bench monitor: ${String(error)}\n`);
    });
  });
  // The channel must not keep a stopping server alive, and a bench that died stops its server
  // the graceful way (server.ts drains on SIGTERM).
  process.channel?.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

await import('../scripts/start.mjs');
