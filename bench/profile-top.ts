/**
 * Prints the top self-time functions (and packages) of a .cpuprofile:
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [--requests N] [--top 20]
 * With `--requests` (or a FILE.cpuprofile.json beside it holding `{"requests": N}`, as the bench
 * writes) every figure is µs per request.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatSummary, parseProfile, summariseProfile } from './profile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, top: { type: 'string', default: '20' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write(
    'usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [--requests N] [--top 20]\n',
  );
  process.exit(2);
}
const sidecar = await readFile(`${file}.json`, 'utf8')
  .then((text) => Number((JSON.parse(text) as { requests?: unknown }).requests) || undefined)
  .catch(() => undefined);
const requests = values.requests ? Number(values.requests) : sidecar;
const summary = summariseProfile(parseProfile(await readFile(file, 'utf8')), requests);
process.stdout.write(`${formatSummary(summary, Number(values.top))}\n`);
