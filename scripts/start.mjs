// `npm start`: the server from dist/ (compiled by `npm run build`, which `npm install` runs) when
// dist/ is at least as new as every file in server/, else from the sources through tsx, with a
// note on stdout (stderr is kept for why a start failed), so a checkout edited or pulled since the
// last build never runs old code.
// bench/loop-monitor.mjs imports this file too, so the benchmark starts what `npm start` starts.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'server.js');
const source = path.join(root, 'server', 'server.ts');

const modified = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
};

/** Whether dist/ was built after the last change to server/ (~160 stats, a few ms). */
function distIsCurrent() {
  const built = modified(compiled);
  if (built === Number.NEGATIVE_INFINITY) return false;
  const folder = path.join(root, 'server');
  return readdirSync(folder, { recursive: true }).every(
    (name) => modified(path.join(folder, String(name))) <= built,
  );
}

let entry = compiled;
if (!distIsCurrent()) {
  process.stdout.write(
    'dist/ is missing or older than server/: running the sources (`npm run build` precompiles)\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
}
// server.ts starts itself only when it is the entry script; this file stands in for it.
process.argv[1] = entry;
await import(pathToFileURL(entry).href);
