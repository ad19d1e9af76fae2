import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import * as schemas from '../../server/api/schemas.js';
import { startApp } from '../helpers/app.js';

// The explorer's "Try it out" sends each example body as it stands (issue 13.6: login's used to
// carry `"ttl": 0`, which the API refuses): every example must pass the schema the route checks.
test('every example in the API schemas is a body its schema accepts', () => {
  let checked = 0;
  for (const [name, schema] of Object.entries(schemas)) {
    const examples = (schema as z.ZodType).meta?.()?.examples;
    if (!Array.isArray(examples)) continue;
    for (const example of examples) {
      const parsed = (schema as z.ZodType).safeParse(example);
      assert.ok(parsed.success, `${name}: ${JSON.stringify(example)}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 6, `examples checked: ${checked}`);
});

test('the explorer names the product, fits a phone, follows dark mode and links back to the pages', async () => {
  const app = await startApp();
  try {
    const page = await (await fetch(`${app.url}/explorer`)).text();
    assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.match(page, /<title>API explorer · User management<\/title>/);
    assert.match(page, /<meta name="color-scheme" content="light dark">/);
    assert.match(page, /href="\/">/);
    const css = await fetch(`${app.url}/explorer/explorer.css`);
    assert.equal(css.status, 200);
    assert.match(await css.text(), /prefers-color-scheme: dark/);
    const document = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
      components: { schemas: Record<string, { examples?: unknown[] }> };
    };
    const withExamples = Object.values(document.components.schemas).filter((s) => s.examples?.length);
    assert.ok(withExamples.length >= 1, 'the document carries the examples');
    const index = await (await fetch(`${app.url}/`)).text();
    assert.match(index, /href="\/explorer"/, 'the pages link to the explorer');
  } finally {
    await app.close();
  }
});
