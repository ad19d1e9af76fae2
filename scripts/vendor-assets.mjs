// Copies the browser code the pages use from node_modules into public/vendor/, so it is served
// from this origin (CSP `script-src 'self'`, no CDN) at the version package-lock.json pins.
// `node scripts/vendor-assets.mjs` writes the copies; `--check` only reports (exit 1) when a copy
// is missing or differs from the installed package, for CI.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** [source under node_modules, name under public/vendor]. */
const ASSETS = [
  ['@simplewebauthn/browser/dist/bundle/index.umd.min.js', 'simplewebauthn-browser.umd.min.js'],
  ['@simplewebauthn/browser/LICENSE.md', 'simplewebauthn-browser.LICENSE.md'],
];

const digest = async (file) => {
  try {
    return createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  } catch {
    return null;
  }
};

const check = process.argv.includes('--check');
let stale = 0;
await mkdir(path.join(root, 'public', 'vendor'), { recursive: true });
for (const [source, name] of ASSETS) {
  const from = path.join(root, 'node_modules', source);
  const to = path.join(root, 'public', 'vendor', name);
  const [want, have] = await Promise.all([digest(from), digest(to)]);
  if (want === null) throw new Error(`${source} is not installed: run npm install first`);
  if (want === have) continue;
  if (check) {
    console.error(
      `public/vendor/${name} is ${have ? 'out of date' : 'missing'}: run node scripts/vendor-assets.mjs`,
    );
    stale += 1;
  } else {
    await copyFile(from, to);
    console.log(`public/vendor/${name} ← node_modules/${source}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
