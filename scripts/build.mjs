// `npm run build` (and `prepare`, so `npm install` and `npm ci` run it): bundles server/ into one
// file, dist/server.js, with esbuild, so `npm start` runs plain JavaScript. Issue 15: the
// TypeScript loader's hooks cost about a second of start-up CPU, and one file instead of ~150 of
// ours plus ~250 of the packages' halves the module loading that remains (resolving, reading and
// format-sniffing each file; measured: importing the server 0.55 s → 0.3 s). Types are checked by
// `npm run typecheck`, not here. Without esbuild (an install that left out devDependencies) it
// builds nothing and `npm start` runs the sources.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stdout.write('build: esbuild is not installed; npm start will run the sources through tsx\n');
  process.exit(0);
}

// Left as imports of node_modules, for a reason each: loaded only when configured or first used
// (a bundle would parse them at start), or they find their own files beside them at run time.
const external = [
  'pg', // DATABASE_URL only
  'ioredis', // REDIS_URL only
  'pino', // its transports start workers from files beside it
  'pino-pretty', // a terminal only
  'piscina', // starts the hashing threads
  'nodemailer', // the first message
  '@simplewebauthn/server', // the first passkey ceremony
  'qrcode', // the first two-factor set-up
  'swagger-ui-dist', // the explorer's files are served from its folder
];

// A clean folder: nothing from an older build (or the per-file build before this one) lives on.
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['server/server.ts'],
  outfile: 'dist/server.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // Packages written as CommonJS call require() for Node's built-ins; an ES module has none.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
