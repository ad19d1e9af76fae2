/**
 * One load generator, in its own process (forked by run.ts) so the client's CPU is never the
 * server's event loop. It receives a job, answers `ready`, waits for `go` (so two clients can
 * start together), runs autocannon and sends back the figures.
 */
import { createHistogram } from 'node:perf_hooks';
import autocannon, { type Request } from 'autocannon';

export type ClientJob = {
  url: string;
  kind: 'healthz' | 'me' | 'login' | 'signup';
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset = as fast as the server answers. */
  overallRate?: number;
  tokens?: string[];
  emails?: string[];
  password?: string;
  /** Makes sign-up emails unique across the phases of one run. */
  prefix?: string;
};

export type ClientResult = {
  /** Every request answered, whatever its status. */
  requests: number;
  /** 2xx answers per second: the figure the tables report. */
  perSecond: number;
  /** Latencies of 2xx answers, in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
};

export type ClientMessage = { type: 'job'; job: ClientJob } | { type: 'go' };

function requestFor(job: ClientJob): Request {
  let index = 0;
  const pick = <T>(list: readonly T[] | undefined): T => {
    if (!list || list.length === 0) throw new Error(`${job.kind} needs a non-empty list`);
    return list[index++ % list.length]!;
  };
  switch (job.kind) {
    case 'healthz':
      // The same per-request setup as the others, so the client's own cost is equal on both sides.
      return {
        method: 'GET',
        path: '/healthz',
        setupRequest: (request) => ({ ...request, path: '/healthz' }),
      };
    case 'me':
      return {
        method: 'GET',
        path: '/api/users/me',
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: pick(job.tokens) },
        }),
      };
    case 'login':
      return {
        method: 'POST',
        path: '/api/users/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ email: pick(job.emails), password: job.password }),
        }),
      };
    case 'signup':
      return {
        method: 'POST',
        path: '/api/users',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = index++;
          return {
            ...request,
            // One address per would-be user, as a population behind TRUST_PROXY's proxy looks;
            // the per-address sign-up limit (20 an hour) is for one abuser, not for a crowd.
            headers: {
              ...request.headers,
              'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            },
            body: JSON.stringify({ email: `${job.prefix}-${n}@bench.example.com`, password: job.password }),
          };
        },
      };
  }
}

async function run(job: ClientJob): Promise<ClientResult> {
  // autocannon's own histogram keeps whole milliseconds; a /me answer takes well under one, so
  // latencies are kept here in microseconds from the response times it reports (hrtime-based).
  const latencies = createHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationSeconds,
        ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        requests: [requestFor(job)],
        timeout: 30,
      },
      (error: unknown, finished: autocannon.Result) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300)
        latencies.record(Math.max(1, Math.round(responseTime * 1000)));
    });
  });
  const ms = (microseconds: number) => microseconds / 1000;
  return {
    requests: result.requests.total,
    perSecond: latencies.count / job.durationSeconds,
    p50: ms(latencies.percentile(50)),
    p99: ms(latencies.percentile(99)),
    max: ms(latencies.max),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

let pending: ClientJob | null = null;
process.on('message', (message: ClientMessage) => {
  if (message.type === 'job') {
    pending = message.job;
    process.send?.({ type: 'ready' });
  } else if (message.type === 'go' && pending) {
    const job = pending;
    pending = null;
    run(job)
      .then((result) => process.send?.({ type: 'result', result }, () => process.exit(0)))
      .catch((error: unknown) => {
        process.send?.({ type: 'failed', error: String(error) }, () => process.exit(1));
      });
  }
});
