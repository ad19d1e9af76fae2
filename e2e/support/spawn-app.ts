import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the app is started from there, exactly as `npm start` does. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type SpawnedApp = {
  /** The app's public URL (APP_URL), the one every email link starts with. */
  url: string;
  child: ChildProcess;
  /** SIGTERM, then wait: the app finishes pending writes and mail before it exits. */
  stop(): Promise<void>;
};

/**
 * Starts the real app in its own process with `node --import tsx server/server.ts`, the command
 * behind `npm start`, so the browser tests run what a person runs and not an in-process copy.
 * Resolves once the app prints the URL it listens on (PORT=0 lets the OS pick a free port).
 */
export async function spawnApp(env: Record<string, string>, timeoutMs = 30_000): Promise<SpawnedApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
    cwd: repoRoot,
    env: { LOG_LEVEL: 'error', ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not start within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      // Once started, the app's own log lines (errors only, see LOG_LEVEL below) go to stderr,
      // which Playwright shows: a 500 in a browser test comes with its stack.
      if (listening) {
        process.stderr.write(chunk);
        return;
      }
      stdout += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        listening = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the app exited before listening (code ${code}, signal ${signal})\n${stderr}`));
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
