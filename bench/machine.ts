/** The machine the figures come from, and how busy other processes keep it. */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** Linux's CPU pressure: the share of the last 10 s in which some runnable task waited for a CPU. */
export async function cpuPressure(): Promise<number | null> {
  const text = await readFile('/proc/pressure/cpu', 'utf8').catch(() => '');
  const found = /some avg10=([\d.]+)/.exec(text)?.[1];
  return found === undefined ? null : Number(found);
}

/**
 * The machines here are shared: other people's test runs take the same two cores and the figures
 * would measure them. Waits (up to `maxSeconds`) until the CPU has been free of waiting for 10 s.
 */
export async function waitForQuiet(
  maxSeconds: number,
): Promise<{ waitedSeconds: number; pressure: number | null }> {
  const started = performance.now();
  let pressure = await cpuPressure();
  while (pressure !== null && pressure > 5 && performance.now() - started < maxSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    pressure = await cpuPressure();
  }
  return { waitedSeconds: (performance.now() - started) / 1000, pressure };
}

export function describeMachine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} cores (${cpu}), ${gib} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** The commit measured, and whether the working tree differed from it (others' work in progress). */
export function describeTree(cwd: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    const dirty =
      git('status', '--porcelain', '--untracked-files=no', '--', 'server', 'views', 'public') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in server/, views/ or public/' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}
