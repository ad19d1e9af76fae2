/**
 * The command line of `npm run bench`, read once. Every figure is taken in production settings;
 * these options only choose how much is measured and where.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';

export type StoreName = 'lowdb' | 'postgres';

export type BenchOptions = {
  /** Users seeded, one size after the other. */
  sizes: number[];
  /** Seconds per phase (the sign-up phase runs twice as long). */
  seconds: number;
  /** Connections of the saturating read phases, the same for the bare Koa app and the app. */
  connections: number;
  /** Seconds to wait, before each size, for other processes to leave the CPU (0: do not wait). */
  quietWait: number;
  /** The server's V8 old-space cap in MB; 0 (the default): none, as the RSS target requires. */
  heapMb: number;
  /** Extra node flags for the server process, for diagnosis (e.g. "--trace-gc"). */
  serverFlags: string[];
  /** Which store the server runs on. */
  store: StoreName;
  /** App processes on that store (more than one needs a shared store). */
  instances: number;
  /** Folder for per-phase CPU profiles of the server's main thread; null: no profiling. */
  cpuProfDir: string | null;
  /** Phase ids to run (warm-up always runs); null: every phase. For iterating on one figure. */
  phases: string[] | null;
  /** Where RESULTS.md goes; null: bench/RESULTS.md. */
  out: string | null;
  cores: number;
};

const count = (text: string) => Number(text.replace(/[_k]/g, (c) => (c === 'k' ? '000' : '')));

export function readOptions(args: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: '1000,100000' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'quiet-wait': { type: 'string', default: '120' },
      'heap-mb': { type: 'string', default: '0' },
      'server-flags': { type: 'string', default: '' },
      store: { type: 'string', default: 'lowdb' },
      instances: { type: 'string', default: '1' },
      'cpu-prof': { type: 'string' },
      phases: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const store = values.store;
  if (store !== 'lowdb' && store !== 'postgres') throw new Error(`--store: lowdb or postgres, not ${store}`);
  const options: BenchOptions = {
    sizes: values.sizes.split(',').map(count),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    quietWait: Number(values['quiet-wait']),
    heapMb: Number(values['heap-mb']),
    serverFlags: values['server-flags'].split(' ').filter(Boolean),
    store,
    instances: Number(values.instances),
    cpuProfDir: values['cpu-prof'] ?? null,
    phases: values.phases ? values.phases.split(',') : null,
    out: values.out ?? null,
    cores: os.availableParallelism(),
  };
  for (const [name, value] of Object.entries(options))
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0))
      throw new Error(`--${name}: a number ≥ 0, not ${value}`);
  if (options.sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new Error(`--sizes: whole numbers ≥ 1, not ${values.sizes}`);
  return options;
}
