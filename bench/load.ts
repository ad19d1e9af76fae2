/**
 * Load generation: each concurrent job runs in its own forked client process (bench/client.ts), so
 * the client's CPU is never the server's event loop, and all of a phase's clients start together.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import type { ClientJob, ClientResult } from './client.js';
import { root } from './server-process.js';

type ClientReply = { type: string; result?: ClientResult; error?: string };

function next(client: ChildProcess, type: string): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ClientReply) => {
      if (message.type !== type && message.type !== 'failed') return;
      client.off('message', onMessage);
      if (message.type === 'failed') reject(new Error(message.error));
      else resolve(message);
    };
    client.on('message', onMessage);
  });
}

/** Runs the jobs in parallel, one client process each, all starting at the same moment. */
export async function load(jobs: ClientJob[]): Promise<ClientResult[]> {
  const clients = jobs.map(() =>
    fork(path.join(root, 'bench/client.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(
    clients.map((client, index) => {
      const ready = next(client, 'ready');
      client.send({ type: 'job', job: jobs[index] });
      return ready;
    }),
  );
  const results = clients.map((client) => next(client, 'result'));
  for (const client of clients) client.send({ type: 'go' });
  return (await Promise.all(results)).map((message) => message.result!);
}

/** Runs `work` in a plain loop for about `seconds` in this process: calls per second. */
function rate(work: () => void, seconds: number): number {
  const started = performance.now();
  const until = started + seconds * 1000;
  let count = 0;
  while (performance.now() < until || count < 3) {
    work();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

/**
 * One thread of bcryptjs at the configured cost, in this process while the server idles: the
 * compare rate (what logins/s is measured against) and the time of one hash (what a sign-up's
 * p99 is measured against).
 */
export function bcryptFigures(password: string, hash: string, rounds: number, seconds: number) {
  const comparesPerSecond = rate(() => bcrypt.compareSync(password, hash), seconds);
  const hashMs = 1000 / rate(() => bcrypt.hashSync(password, rounds), seconds);
  return { comparesPerSecond, hashMs };
}

/** Several instances: the connections are split between them; rates add up, latencies take the worst. */
export function merge(results: ClientResult[]): ClientResult {
  const sum = (pick: (r: ClientResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const worst = (pick: (r: ClientResult) => number) => Math.max(...results.map(pick));
  return {
    requests: sum((r) => r.requests),
    perSecond: sum((r) => r.perSecond),
    p50: worst((r) => r.p50),
    p99: worst((r) => r.p99),
    max: worst((r) => r.max),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}
