/**
 * Server-process control: starts the real app (`npm start`'s entry through bench/loop-monitor.mjs) in
 * production settings, N instances on one store, and talks to each over its IPC channel.
 * Which store and how many instances are parameters; the store's own env comes from bench/stores.ts.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { LoopReport } from './loop-report.js';

export const root = fileURLToPath(new URL('..', import.meta.url));

export type AppServer = {
  child: ChildProcess;
  url: string;
  startupMs: number;
  /** The file the server's stdout (its info-level request log) goes to. */
  logFile: string;
};

export type AppLaunch = {
  /** The store's variables (DB_FILE or DATABASE_URL), from bench/stores.ts. */
  storeEnv: Record<string, string>;
  instances: number;
  smtpUrl: string;
  bcryptRounds: number;
  heapMb: number;
  serverFlags: string[];
  /** Folder for each instance's log file. */
  logDir: string;
};

export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers 2xx, or rejects when `child` exits first. */
export async function waitForAnswer(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const exited = once(child, 'exit').then(() => {
    throw new Error(`the server exited during start: ${stderr()}`);
  });
  const ready = (async () => {
    for (;;) {
      const ok = await fetch(url)
        .then((response) => response.ok)
        .catch(() => false);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await Promise.race([ready, exited]);
}

async function startOne(launch: AppLaunch, index: number, sessionKeys: string): Promise<AppServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    TMPDIR: os.tmpdir(),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    APP_URL: url,
    SESSION_KEYS: sessionKeys,
    SMTP_URL: launch.smtpUrl,
    BCRYPT_ROUNDS: String(launch.bcryptRounds),
    // Production's own defaults, spelled out so a changed default cannot slip into the figures.
    RATE_LIMITS: 'on',
    LOG_LEVEL: 'info',
    // The sign-up client spreads over addresses as a crowd behind a proxy (see client.ts).
    TRUST_PROXY: 'true',
    ...launch.storeEnv,
  };
  // Request logs at info go to a real file, as a log shipper would read them: its writes count.
  const logFile = path.join(launch.logDir, `server-${index}.log`);
  const log = await open(logFile, 'a');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(launch.heapMb > 0 ? [`--max-old-space-size=${launch.heapMb}`] : []),
      ...launch.serverFlags,
      // What `npm start` runs (scripts/start.mjs, the compiled server), plus the bench's monitor.
      'bench/loop-monitor.mjs',
    ],
    { cwd: root, env, stdio: ['ignore', log.fd, 'pipe', 'ipc'] },
  );
  await log.close();
  let stderr = '';
  const collect = (chunk: Buffer) => {
    stderr += chunk.toString();
  };
  child.stderr?.on('data', collect);
  await waitForAnswer(`${url}/healthz`, child, () => stderr);
  const startupMs = performance.now() - started;
  child.stderr?.off('data', collect);
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return { child, url, startupMs, logFile };
}

/** Starts `launch.instances` app processes one after the other (each start is timed alone). */
export async function startApps(launch: AppLaunch): Promise<AppServer[]> {
  // Instances of one deployment share their cookie keys.
  const sessionKeys = `bench-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const servers: AppServer[] = [];
  for (let index = 0; index < launch.instances; index++)
    servers.push(await startOne(launch, index, sessionKeys));
  return servers;
}

/** SIGTERM and wait: the server drains, closes its store and exits (a CPU profile is written then). */
export async function stopApp(server: { child: ChildProcess }): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

/** Sends a command over the server's IPC channel and waits for the answer of `replyType`. */
export function askServer<T>(
  server: Pick<AppServer, 'child'>,
  command: object,
  replyType: string,
): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; report?: T }) => {
      if (message.type !== replyType) return;
      server.child.off('message', onMessage);
      resolve(message.report as T);
    };
    server.child.on('message', onMessage);
    server.child.send(command);
  });
}

export const resetLoop = (server: AppServer) =>
  askServer<void>(server, { type: 'loop-reset' }, 'loop-reset-done');
export const readLoop = (server: AppServer) =>
  askServer<LoopReport>(server, { type: 'loop-read' }, 'loop-report');
export const startProfile = (server: Pick<AppServer, 'child'>) =>
  askServer<void>(server, { type: 'profile-start' }, 'profile-started');
/** Stops the main thread's CPU profile and has the server write it to `file`. */
export const stopProfile = (server: Pick<AppServer, 'child'>, file: string) =>
  askServer<void>(server, { type: 'profile-stop', file }, 'profile-written');

/** The server's peak resident memory so far (Linux), or null elsewhere. */
export async function peakRss(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : null;
}

export async function fileBytes(file: string): Promise<number> {
  return (await stat(file).catch(() => ({ size: 0 }))).size;
}

/** The bare Koa reference app (bench/bare-koa.ts) in its own process, answering `body`. */
export async function startBare(body: unknown): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(path.join(root, 'bench/bare-koa.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.send({ type: 'serve', body });
  const [message] = (await once(child, 'message')) as [{ url: string }];
  return { child, url: message.url };
}
