import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AxeRecord, artifactsDir, axeDir } from './support/check-page.js';

/**
 * Summarises the axe runs of every page into e2e/artifacts/axe-summary.md (one row per page:
 * violations by impact, over the desktop, desktop-dark and phone runs) and prints it.
 */
export default async function globalTeardown(): Promise<void> {
  const files = (await readdir(axeDir).catch(() => [] as string[])).filter((file) => file.endsWith('.json'));
  if (files.length === 0) return;
  const records = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(path.join(axeDir, file), 'utf8')) as AxeRecord),
  );
  records.sort((a, b) => a.page.localeCompare(b.page));
  const impacts = ['critical', 'serious', 'moderate', 'minor'] as const;
  const rows = records.map((record) => {
    const counts = Object.fromEntries(impacts.map((impact) => [impact, 0])) as Record<string, number>;
    const rules = new Set<string>();
    for (const run of record.runs)
      for (const violation of run.violations) {
        counts[violation.impact] = (counts[violation.impact] ?? 0) + 1;
        rules.add(`${violation.id} (${violation.impact}, ${run.view})`);
      }
    const pagePath = new URL(record.url, 'http://x').pathname;
    const cells = impacts.map((impact) => String(counts[impact] ?? 0));
    return `| ${record.page} | ${record.url.startsWith('about:') ? 'email' : pagePath} | ${cells.join(' | ')} | ${[...rules].join(', ') || 'none'} |`;
  });
  const table = [
    '| page | path | critical | serious | moderate | minor | rules |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const text = `# axe-core results of the last browser-test run\n\nEach page was checked at 1280×800 (light and dark colour scheme) and 390×844 (light).\n\n${table}\n`;
  await writeFile(path.join(artifactsDir, 'axe-summary.md'), text);
  process.stdout.write(`\naxe-core, per page (e2e/artifacts/axe-summary.md):\n${table}\n`);
}
