import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** A server started with `npm start`'s own entry point, as a separate process. */
export type ServerProcess = {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with its exit code once it has ended. */
  exited: Promise<number | null>;
};

const BASE_ENV = { NODE_ENV: 'test', PORT: '0', BCRYPT_ROUNDS: '4', RATE_LIMITS: 'off' };

function spawnServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts a server and resolves once it listens; rejects with its output if it exits first. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawnServer(env);
  let text = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(text);
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code}: ${text}`)));
  });
  return { child, url, output: () => text, exited };
}

/** Runs a server that is expected to refuse to start; resolves with its exit code and stderr. */
export async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnServer(env);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/** Ends a server process (SIGKILL when `hard`) and waits for it. */
export async function stopServerProcess(server: ServerProcess, hard = false): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(hard ? 'SIGKILL' : 'SIGTERM');
  await server.exited;
}
