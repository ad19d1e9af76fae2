/**
 * `npm run bench`: for each size, seeds the chosen store, starts the real app in production
 * settings and a bare Koa reference app, runs the phases of bench/phases.ts against them from
 * separate client processes, checks bench/targets.ts and writes bench/RESULTS.md (bench/report.ts).
 * Options (bench/options.ts): `--sizes 1000,100000`, `--seconds 10`, `--connections 50`,
 * `--store lowdb|postgres`, `--instances 1`, `--cpu-prof DIR`, `--heap-mb 0`, `--quiet-wait 120`,
 * `--phases me,bare` (only those, for iterating: the report then lacks the others), `--out FILE`.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import type { ClientJob, ClientResult } from './client.js';
import type { SizeFigures } from './figures.js';
import { bcryptFigures, load, merge } from './load.js';
import { cpuPressure, describeMachine, describeTree, waitForQuiet } from './machine.js';
import { type BenchOptions, readOptions } from './options.js';
import { type JobSpec, PHASES, type Phase } from './phases.js';
import { parseProfile, summariseProfile } from './profile.js';
import { checkLine, report, table } from './report.js';
import * as servers from './server-process.js';
import { startDiscardingSmtp } from './smtp-sink.js';
import { type BenchStore, benchStore, type SeededStore } from './stores.js';
import { checkTargets } from './targets.js';

const ROUNDS = 10;
const PASSWORD = 'a long bench passphrase 2718';
type Smtp = Awaited<ReturnType<typeof startDiscardingSmtp>>;
const log = (line: string) => process.stdout.write(`${line}\n`);

type Targets = {
  appUrls: string[];
  bareUrl: string;
  bare: Pick<servers.AppServer, 'child'>;
  seeded: SeededStore;
  store: BenchStore;
  users: number;
  mailSettled(): Promise<void>;
};

/** Resolves once the SMTP sink has received nothing for half a second (at most 30 s). */
async function quietFor(received: () => number): Promise<void> {
  const until = performance.now() + 30_000;
  let last = -1;
  while (received() !== last && performance.now() < until) {
    last = received();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function clientJobs(options: BenchOptions, phase: Phase, spec: JobSpec, targets: Targets): ClientJob[] {
  const connections =
    spec.connections === 'read'
      ? options.connections
      : spec.connections === 'login'
        ? options.cores * 2
        : spec.connections === 'signup'
          ? 2
          : spec.connections;
  const urls = spec.target === 'bare' ? [targets.bareUrl] : targets.appUrls;
  return urls.map((url, index) => ({
    url,
    kind: spec.kind,
    connections: Math.max(1, Math.round(connections / urls.length)),
    durationSeconds: spec.seconds ?? options.seconds * (spec.length ?? 1),
    ...(spec.rate ? { overallRate: spec.rate / urls.length } : {}),
    tokens: targets.seeded.tokens,
    emails: targets.seeded.emails,
    password: PASSWORD,
    prefix: `signup-${targets.users}-${phase.id}-${index}`,
  }));
}

async function runPhase(
  options: BenchOptions,
  phase: Phase,
  apps: servers.AppServer[],
  targets: Targets,
  figures: SizeFigures,
) {
  log(`  ${phase.label}`);
  const roles = Object.entries(phase.jobs);
  const jobs = roles.map(([, spec]) => clientJobs(options, phase, spec, targets));
  const main = apps[0]!;
  // Mail queued by an earlier phase (sign-ups) is sent first, so it is not charged to this one.
  await targets.mailSettled();
  if (phase.loop) await servers.resetLoop(main);
  // A phase whose loads all go to the bare app profiles that process; any other, the app.
  const profiled = roles.every(([, spec]) => spec.target === 'bare') ? targets.bare : main;
  if (phase.profile) await servers.startProfile(profiled);
  const cpuBefore = await targets.store.cpuSeconds();
  const wallBefore = performance.now();
  const flat = await load(jobs.flat());
  const cpuAfter = await targets.store.cpuSeconds();
  if (cpuBefore !== null && cpuAfter !== null && !phase.warmup) {
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    figures.databaseCpu = { ...figures.databaseCpu, [phase.id]: (cpuAfter - cpuBefore) / wallSeconds };
  }
  let offset = 0;
  const results: Record<string, ClientResult> = {};
  for (const [index, [role]] of roles.entries()) {
    const count = jobs[index]!.length;
    results[role] = merge(flat.slice(offset, offset + count));
    offset += count;
  }
  if (phase.profile && options.cpuProfDir) {
    const file = path.join(options.cpuProfDir, `${targets.users}-${phase.id}.cpuprofile`);
    await servers.stopProfile(profiled, file);
    // Requests answered by the profiled process alone.
    const spread = profiled === main ? apps.length : 1;
    const requests = Object.values(results).reduce((total, r) => total + r.requests, 0) / spread;
    await writeFile(`${file}.json`, JSON.stringify({ requests }));
    figures.profiles[phase.id] = summariseProfile(parseProfile(await readFile(file, 'utf8')), requests);
    log(`    profile: ${file}`);
  }
  if (phase.loop) figures.loops[phase.id] = await servers.readLoop(main);
  const memory = await servers.readLoop(main);
  log(`    RSS ${(memory.rssBytes / 1e6).toFixed(0)} MB, heap ${(memory.heapUsedBytes / 1e6).toFixed(0)} MB`);
  if (phase.warmup) return;
  figures.results[phase.id] = results;
  for (const [role, r] of Object.entries(results))
    if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
      log(
        `    ! ${role}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (not in latencies)`,
      );
}

async function benchSize(options: BenchOptions, store: BenchStore, users: number, hash: string, smtp: Smtp) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kum-bench-'));
  try {
    log(`\n── ${users.toLocaleString('en')} users on ${store.name}: seeding in ${dir}`);
    const seeded = await store.seed(dir, users, hash);
    const quiet =
      options.quietWait > 0
        ? await waitForQuiet(options.quietWait)
        : { waitedSeconds: 0, pressure: await cpuPressure() };
    log(
      `  CPU pressure from other processes: ${quiet.pressure ?? '?'}% (waited ${quiet.waitedSeconds.toFixed(0)} s)`,
    );
    const apps = await servers.startApps({
      storeEnv: seeded.env,
      instances: options.instances,
      smtpUrl: smtp.url,
      bcryptRounds: ROUNDS,
      heapMb: options.heapMb,
      serverFlags: options.serverFlags,
      logDir: dir,
    });
    let bare: { child: ChildProcess; url: string } | null = null;
    try {
      const main = apps[0]!;
      const afterStart = await servers.readLoop(main);
      log(`  started in ${main.startupMs.toFixed(0)} ms, RSS ${(afterStart.rssBytes / 1e6).toFixed(0)} MB`);
      const me = await fetch(`${main.url}/api/users/me`, { headers: { authorization: seeded.tokens[0]! } });
      if (!me.ok) throw new Error(`GET /api/users/me answered ${me.status}: ${await me.text()}`);
      bare = await servers.startBare(await me.json());
      const figures: SizeFigures = {
        users,
        pressureBefore: quiet.pressure,
        pressureAfter: null,
        seedMb: seeded.bytes === null ? null : seeded.bytes / 1e6,
        startupMs: main.startupMs,
        rssAfterStartMb: afterStart.rssBytes / 1e6,
        peakRssMb: null,
        logBytes: 0,
        results: {},
        loops: {},
        bcrypt: { comparesPerSecond: 0, hashMs: 0 },
        store: null,
        profiles: {},
      };
      const targets = {
        appUrls: apps.map((app) => app.url),
        bareUrl: bare.url,
        bare,
        seeded,
        store,
        users,
        mailSettled: () => quietFor(smtp.received),
      };
      for (const phase of PHASES) {
        const chosen = phase.warmup || !options.phases || options.phases.includes(phase.id);
        if (chosen && (!phase.profile || options.cpuProfDir))
          await runPhase(options, phase, apps, targets, figures);
      }
      log('  single-thread bcryptjs compare and hash loops');
      figures.bcrypt = bcryptFigures(PASSWORD, hash, ROUNDS, Math.min(3, options.seconds));
      const peak = await servers.peakRss(main.child.pid!);
      figures.peakRssMb = peak === null ? null : peak / 1e6;
      figures.pressureAfter = await cpuPressure();
      for (const app of apps) await servers.stopApp(app);
      for (const app of apps) figures.logBytes += await servers.fileBytes(app.logFile);
      log('  the store alone');
      // The store is being rebuilt beside the bench: a store that cannot be measured alone yet
      // loses these rows, not the run.
      figures.store = await store.measureAlone(seeded, dir).catch((error: unknown) => {
        log(`  ! the store alone: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
      return figures;
    } finally {
      for (const app of apps) await servers.stopApp(app);
      if (bare) await servers.stopApp(bare);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const options = readOptions();
  // The server runs as `npm start` runs it, from dist/: compiled from this tree first.
  execFileSync(process.execPath, [path.join(servers.root, 'scripts/build.mjs')], { stdio: 'inherit' });
  const store = benchStore(options.store);
  if (options.instances < 1 || options.instances > store.maxInstances)
    throw new Error(`--instances: 1 to ${store.maxInstances} on ${store.name}`);
  if (options.cpuProfDir) await mkdir(options.cpuProfDir, { recursive: true });
  const started = new Date();
  const tree = describeTree(servers.root);
  const t0 = performance.now();
  log(`koa-user-management benchmark: ${describeMachine()}`);
  const hash = bcrypt.hashSync(PASSWORD, ROUNDS);
  const smtp = await startDiscardingSmtp();
  const figures: SizeFigures[] = [];
  try {
    for (const users of options.sizes) figures.push(await benchSize(options, store, users, hash, smtp));
  } finally {
    await smtp.close();
    await store.close();
  }
  const out = options.out ?? path.join(servers.root, 'bench/RESULTS.md');
  await writeFile(out, report(figures, options, started, (performance.now() - t0) / 1000, tree));
  log(`\n${table(figures)}\n`);
  for (const check of checkTargets(figures, options.heapMb)) log(checkLine(check));
  log(`\nwritten to ${out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
