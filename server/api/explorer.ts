import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Middleware } from 'koa';

/**
 * The API explorer at /explorer, as LoopBack shipped one: Swagger UI from the swagger-ui-dist
 * package in node_modules (no CDN: the page works offline and loads no third-party code), reading
 * GET /api/openapi.json. app.ts mounts it only when config.apiExplorer is on (off in production
 * unless API_EXPLORER=true).
 */

const PREFIX = '/explorer';

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files served from the package: an allow-list, so no path from the URL reaches the disk. */
const vendorFiles: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

// Our own page and initializer instead of the package's: the package's initializer loads the
// Petstore from the internet. No inline script or style, so the page runs under the site-wide CSP
// unchanged (script-src and style-src 'self'): checked in Chromium with Swagger UI 5.35 — expanding
// every operation, the Authorize dialog, "Try it out" and the models raise no CSP violation. If a
// later Swagger UI needs inline styles, relax style-src here, on /explorer only.
const page = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>API explorer · User management</title>
    <link rel="stylesheet" href="${PREFIX}/swagger-ui.css">
    <link rel="stylesheet" href="${PREFIX}/index.css">
    <link rel="stylesheet" href="${PREFIX}/explorer.css">
    <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  </head>
  <body>
    <header class="explorer-bar">
      <a class="explorer-bar__brand" href="/">User management</a>
      <span class="explorer-bar__title">API explorer</span>
      <nav class="explorer-bar__links" aria-label="Elsewhere">
        <a href="/">The pages</a>
        <a href="/api/openapi.json">OpenAPI document</a>
      </nav>
    </header>
    <main id="swagger-ui"></main>
    <script src="${PREFIX}/swagger-ui-bundle.js"></script>
    <script src="${PREFIX}/explorer-init.js"></script>
  </body>
</html>
`;

// BaseLayout has no "explore" bar: the page shows this API's document only, never one named in
// a URL (a known route to XSS in older Swagger UI). No validator badge: it calls a third party.
const initializer = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    queryConfigEnabled: false
  });
});
`;

// The product's bar over Swagger UI, and a dark scheme for it: Swagger UI 5 has none of its own,
// so in the dark its light page is turned (invert + hue-rotate keeps the method colours apart).
const stylesheet = `.explorer-bar {
  display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center;
  padding: 0.75rem 1.25rem; font-family: system-ui, sans-serif;
  background: #1d4ed8; color: #fff;
}
.explorer-bar a { color: #fff; }
.explorer-bar__brand { font-weight: 700; text-decoration: none; }
.explorer-bar__title { opacity: 0.9; }
.explorer-bar__links { display: flex; gap: 1rem; margin-left: auto; }
.swagger-ui .information-container { padding-top: 0.5rem; }
@media (max-width: 40rem) {
  .swagger-ui .wrapper { padding: 0 0.75rem; }
  .explorer-bar__links { margin-left: 0; }
}
@media (prefers-color-scheme: dark) {
  html { background: #0f141b; }
  body { background: #0f141b; }
  .explorer-bar { background: #18202b; border-bottom: 1px solid #2e3a4a; }
  .explorer-bar a { color: #9ec1ff; }
  #swagger-ui { filter: invert(0.9) hue-rotate(180deg); background: #f4f6f9; }
  #swagger-ui img, #swagger-ui svg { filter: invert(1) hue-rotate(180deg); }
}
`;

/** Serves the explorer page, its initializer and Swagger UI's files under /explorer. */
export function serveExplorer(): Middleware {
  return async function serveExplorer(ctx, next) {
    if (ctx.path !== PREFIX && !ctx.path.startsWith(`${PREFIX}/`)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const file = ctx.path.slice(PREFIX.length + 1);
    if (file === '' || file === 'index.html') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page;
      return;
    }
    if (file === 'explorer.css') {
      ctx.type = 'text/css; charset=utf-8';
      ctx.body = stylesheet;
      return;
    }
    if (file === 'explorer-init.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = initializer;
      return;
    }
    const type = Object.hasOwn(vendorFiles, file) ? vendorFiles[file] : undefined;
    if (!type) return next();
    ctx.type = type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = createReadStream(path.join(swaggerDir, file));
  };
}
