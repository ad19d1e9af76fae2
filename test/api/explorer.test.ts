import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startApp } from '../helpers/app.js';

const bundleFile = path.join(
  path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')),
  'swagger-ui-bundle.js',
);

// Production refuses to start without these (config.ts); the values only need to be valid.
const PRODUCTION = {
  NODE_ENV: 'production',
  RATE_LIMITS: 'on',
  SESSION_KEYS: 'a-production-test-key-of-at-least-32-characters',
  APP_URL: 'http://localhost:9',
  LOG_LEVEL: 'silent',
};

describe('the API explorer at /explorer (development default: on)', () => {
  test('the page loads Swagger UI and our initializer from this site, with no inline script', async () => {
    const app = await startApp();
    try {
      for (const address of ['/explorer', '/explorer/', '/explorer/index.html']) {
        const response = await fetch(`${app.url}${address}`);
        assert.equal(response.status, 200, address);
        const html = await response.text();
        const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
        assert.deepEqual(
          scripts.map((match) => /src="([^"]+)"/.exec(match[1] ?? '')?.[1]),
          ['/explorer/swagger-ui-bundle.js', '/explorer/explorer-init.js'],
        );
        for (const match of scripts) assert.equal(match[2]?.trim(), '', 'no inline script');
        assert.doesNotMatch(html, /https?:\/\//, 'nothing is loaded from another site');
      }

      const init = await fetch(`${app.url}/explorer/explorer-init.js`);
      assert.equal(init.status, 200);
      assert.match(init.headers.get('content-type') ?? '', /javascript/);
      assert.match(await init.text(), /url: '\/api\/openapi\.json'/);

      const bundle = await fetch(`${app.url}/explorer/swagger-ui-bundle.js`);
      assert.equal(bundle.status, 200);
      assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
      assert.equal((await bundle.arrayBuffer()).byteLength, (await stat(bundleFile)).size);
      const css = await fetch(`${app.url}/explorer/swagger-ui.css`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /text\/css/);
      await css.arrayBuffer();
    } finally {
      await app.close();
    }
  });

  test('the explorer runs under the same strict CSP as every page: no inline script or style allowed', async () => {
    const app = await startApp();
    try {
      const explorer = (await fetch(`${app.url}/explorer`)).headers.get('content-security-policy') ?? '';
      const page = (await fetch(`${app.url}/`)).headers.get('content-security-policy') ?? '';
      assert.match(explorer, /script-src 'self'(;|$)/);
      assert.match(explorer, /style-src 'self'(;|$)/);
      assert.match(explorer, /frame-ancestors 'none'/);
      assert.doesNotMatch(explorer, /unsafe-(inline|eval)/);
      assert.equal(explorer, page);
    } finally {
      await app.close();
    }
  });

  test('only the allow-listed files of the package are served', async () => {
    const app = await startApp();
    try {
      for (const address of [
        '/explorer/package.json',
        '/explorer/swagger-initializer.js',
        '/explorer/../package.json',
        '/explorer/%2e%2e/package.json',
        '/explorer/swagger-ui-bundle.js.map',
      ]) {
        const response = await fetch(`${app.url}${address}`);
        assert.equal(response.status, 404, address);
        await response.arrayBuffer();
      }
    } finally {
      await app.close();
    }
  });
});

describe('the explorer switch', () => {
  const statusOf = async (env: Record<string, string>) => {
    const app = await startApp({ env });
    try {
      const response = await fetch(`${app.url}/explorer`);
      await response.arrayBuffer();
      const document = await fetch(`${app.url}/api/openapi.json`);
      await document.arrayBuffer();
      return { explorer: response.status, document: document.status };
    } finally {
      await app.close();
    }
  };

  test('off with API_EXPLORER=false', async () => {
    assert.deepEqual(await statusOf({ API_EXPLORER: 'false' }), { explorer: 404, document: 200 });
  });

  test('off in production unless API_EXPLORER=true', async () => {
    assert.deepEqual(await statusOf(PRODUCTION), { explorer: 404, document: 200 });
    assert.deepEqual(await statusOf({ ...PRODUCTION, API_EXPLORER: 'true' }), {
      explorer: 200,
      document: 200,
    });
  });
});
