// `npm run build` (and `prepare`, so `npm install` and `npm ci` run it): compiles server/ to dist/
// with tsc, so `npm start` runs plain JavaScript. Issue 15: the TypeScript loader's hooks cost
// about a second of start-up CPU. dist/ mirrors server/ at the same depth, so paths the code
// builds from import.meta.url (`../../views/`) name the same folders. Without TypeScript (an
// install that left out devDependencies) it builds nothing and `npm start` runs the sources.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  // The package's exports list no bin/ path: find it from package.json.
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
  tsc = path.join(path.dirname(manifest), 'bin', 'tsc');
} catch {
  process.stdout.write('build: TypeScript is not installed; npm start will run the sources through tsx\n');
  process.exit(0);
}
// A clean folder: a file deleted from server/ must not live on in dist/.
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
