import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

const serverDir = path.resolve('server');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
    }),
  );
  return nested.flat();
}

/** Every module a file imports, static or dynamic, as written. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ].map((match) => match[1] ?? match[2] ?? '');
}

/** Where a relative import lands, as a path under server/ (e.g. "store/lowdb.ts"). */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.relative(serverDir, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
}

const relative = (file: string) => path.relative(serverDir, file);

test('auth/ (the domain) imports only node built-ins, the common-password list and what is below it', async () => {
  // An allow-list: anything new in the domain's imports must be argued for here. The password list
  // is data (no I/O, no framework); bcrypt itself runs in hashing/, chosen by server.ts. otplib
  // (TOTP) and @simplewebauthn/server (passkey checks; its metadata service, which fetches, is
  // not used) are pure computation on the values they are given; ua-parser-js names a device from a
  // user-agent string, nothing more.
  const allowedPackages =
    /^(node:|@zxcvbn-ts\/language-common$|otplib$|@simplewebauthn\/server$|ua-parser-js$)/;
  for (const file of await sourceFiles(path.join(serverDir, 'auth'))) {
    for (const specifier of await importsOf(file)) {
      if (!specifier.startsWith('.')) {
        assert.match(specifier, allowedPackages, `${relative(file)} imports ${specifier}`);
      }
      const landed = target(file, specifier);
      if (landed === null) continue;
      const allowed =
        landed.startsWith('auth/') || landed === 'store/store.ts' || landed === 'mail/mailer.ts';
      assert.ok(allowed, `${relative(file)} imports ${landed}`);
    }
  }
});

test('only server.ts picks implementations (store/lowdb, mail/smtp, mail/outbox, hashing/worker-pool)', async () => {
  const implementations = new Set([
    'store/lowdb.ts',
    'mail/smtp.ts',
    'mail/outbox.ts',
    'hashing/worker-pool.ts',
  ]);
  for (const file of await sourceFiles(serverDir)) {
    // The admin CLI opens the store itself when no server runs, as server.ts does (issue 18).
    if (relative(file) === 'server.ts' || relative(file) === 'admin/local.ts') continue;
    for (const specifier of await importsOf(file)) {
      const landed = target(file, specifier);
      if (landed && implementations.has(landed)) {
        assert.fail(`${relative(file)} imports the implementation ${landed}`);
      }
    }
  }
});

// Where the project's folders are (views/, the hashing thread's script): a leaf any layer may use,
// because it knows nothing of any of them (checked below).
const LEAF_PATHS = 'project-paths.ts';

test('project-paths.ts, which every layer may import, imports only node built-ins', async () => {
  const specifiers = await importsOf(path.join(serverDir, LEAF_PATHS));
  assert.ok(specifiers.length > 0);
  for (const specifier of specifiers) assert.match(specifier, /^node:/, `${LEAF_PATHS} imports ${specifier}`);
});

test('store/, mail/ and hashing/ import nothing above them', async () => {
  for (const folder of ['store', 'mail', 'hashing']) {
    for (const file of await sourceFiles(path.join(serverDir, folder))) {
      for (const specifier of await importsOf(file)) {
        const landed = target(file, specifier);
        if (landed === null) continue;
        const allowed =
          landed.startsWith(`${folder}/`) ||
          landed === LEAF_PATHS ||
          (folder === 'mail' && landed === 'store/store.ts') ||
          (folder === 'hashing' && landed === 'auth/password-hasher.ts');
        assert.ok(allowed, `${relative(file)} imports ${landed}`);
      }
    }
  }
});

test('boot/, api/ and middleware/ do not import each other (boot and api may use middleware)', async () => {
  for (const folder of ['boot', 'api', 'middleware']) {
    for (const file of await sourceFiles(path.join(serverDir, folder))) {
      for (const specifier of await importsOf(file)) {
        const landed = target(file, specifier);
        if (landed === null) continue;
        const top = landed.split('/')[0];
        if (top === folder || top === 'middleware' || top === 'auth' || landed === 'deps.ts') continue;
        if (landed === LEAF_PATHS) continue;
        if (landed === 'store/store.ts' || landed === 'mail/mailer.ts') continue;
        assert.fail(`${relative(file)} imports ${landed}`);
      }
    }
  }
});

test('config.ts is the only reader of process.env', async () => {
  for (const file of await sourceFiles(serverDir)) {
    if (relative(file) === 'config.ts') continue;
    const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, /process\.env/, `${relative(file)} reads process.env`);
  }
});

test('auth/ (the domain) knows no HTTP status: codes only, the web layer maps them', async () => {
  // Threat: a rule that decides what the client sees (a status, a Retry-After) cannot be reused by
  // a second edge (a CLI, a queue worker) and drifts from the one table that words errors.
  const forbidden = [
    /\b(status|statusCode|retryAfter)\b/,
    /\bctx\b/,
    /\b(?:40[0-9]|41[0-8]|42[2-9]|5\d\d)\b(?!\s*(?:ms|bytes|characters|seconds))/,
  ];
  for (const file of await sourceFiles(path.join(serverDir, 'auth'))) {
    const code = (await readFile(file, 'utf8'))
      .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      .replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, "''");
    for (const pattern of forbidden) {
      assert.doesNotMatch(code, pattern, `${relative(file)} knows an HTTP status (${pattern})`);
    }
  }
});

test('the web layer maps codes to statuses in its own tables, not by reading a status off a domain error', async () => {
  for (const file of await sourceFiles(serverDir)) {
    const name = relative(file);
    if (name.startsWith('auth/')) continue;
    const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, /wantsJson/, `${name} guesses "API or page" from the path`);
  }
});

test('admin/ (the operator CLI) runs commands through the domain; only server.ts imports it', async () => {
  // Threat: a CLI that writes records itself skips the rules the domain keeps (canonical keys,
  // revoking tokens on disable) and drifts from what the app does. admin/local.ts alone opens
  // store implementations, postgres included, as server.ts does.
  const implementation = /^(store\/lowdb\.ts|store\/postgres\/|mail\/smtp\.ts|mail\/outbox\.ts|hashing\/)/;
  for (const file of await sourceFiles(path.join(serverDir, 'admin'))) {
    for (const specifier of await importsOf(file)) {
      const landed = target(file, specifier);
      if (landed === null) continue;
      if (implementation.test(landed)) {
        assert.equal(
          relative(file),
          'admin/local.ts',
          `${relative(file)} opens the implementation ${landed}`,
        );
        continue;
      }
      const allowed =
        landed.startsWith('admin/') ||
        landed.startsWith('auth/') ||
        [
          'store/store.ts',
          'config.ts',
          'deps.ts',
          'app.ts',
          'auth-deps.ts',
          'mail/queue.ts',
          'mail/mailer.ts',
        ].includes(landed);
      assert.ok(allowed, `${relative(file)} imports ${landed}`);
    }
  }
  for (const file of await sourceFiles(serverDir)) {
    const name = relative(file);
    if (name.startsWith('admin/') || name === 'server.ts') continue;
    for (const specifier of await importsOf(file)) {
      const landed = target(file, specifier);
      assert.ok(!landed?.startsWith('admin/'), `${name} imports ${landed}`);
    }
  }
});
