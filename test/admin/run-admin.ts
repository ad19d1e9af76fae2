import { spawn } from 'node:child_process';
import path from 'node:path';

/** What one `npm run admin -- …` run did. */
export type AdminRun = { status: number | null; stdout: string; stderr: string };

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRY = path.join(ROOT, 'server/admin/main.ts');

/**
 * Runs the admin CLI as the operator would (a child process: its own argv, stdin and exit
 * status), with only the environment given, so a developer's DATABASE_URL or DB_FILE never leaks in.
 */
export function runAdmin(
  args: readonly string[],
  env: Record<string, string>,
  options: { stdin?: string } = {},
): Promise<AdminRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', BCRYPT_ROUNDS: '4', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** The --json output of a run that must have succeeded. */
export function jsonOf<T>(run: AdminRun): T {
  if (run.status !== 0) throw new Error(`admin exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
