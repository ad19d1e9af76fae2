/** Whether the database answers, as /healthz reports it. */
export type DatabaseProbe = () => Promise<boolean>;

export type ProbeOptions = {
  /** A probe that has no answer by then counts as "down": a load balancer must not wait on it. */
  timeoutMs?: number;
  /** An answer is reused this long, so probes under load cost the database one query a second. */
  freshMs?: number;
  now?: () => number;
};

/**
 * A probe that runs `ping` (a `SELECT 1`), bounded by `timeoutMs`. Concurrent callers share one
 * ping, and its answer stands for `freshMs`: a saturating health check never queues behind the
 * pool, and a database that stops answering is reported within about `timeoutMs + freshMs`.
 */
export function createDatabaseProbe(ping: () => Promise<unknown>, options: ProbeOptions = {}): DatabaseProbe {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const freshMs = options.freshMs ?? 1_000;
  const now = options.now ?? Date.now;
  let last: { answers: boolean; at: number } | undefined;
  let pending: Promise<boolean> | undefined;

  const probe = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([
        ping().then(
          () => true,
          () => false,
        ),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  return () => {
    if (last && now() - last.at < freshMs) return Promise.resolve(last.answers);
    pending ??= probe().then((answers) => {
      last = { answers, at: now() };
      pending = undefined;
      return answers;
    });
    return pending;
  };
}

/** The embedded store is this process's own memory and file: it answers whenever the app does. */
export const embeddedProbe: DatabaseProbe = async () => true;
