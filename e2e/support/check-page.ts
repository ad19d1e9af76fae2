import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { repoRoot } from './spawn-app.js';

export const artifactsDir = path.join(repoRoot, 'e2e', 'artifacts');
export const screenshotsDir = path.join(artifactsDir, 'screenshots');
export const axeDir = path.join(artifactsDir, 'axe');

const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

type Violation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];

/** What one page's axe runs found; global-teardown.ts turns these into axe-summary.md. */
export type AxeRecord = {
  page: string;
  url: string;
  test: string;
  runs: Array<{
    view: string;
    violations: Array<{ id: string; impact: string; nodes: number; help: string }>;
  }>;
};

const blocking = new Set(['serious', 'critical']);

type AxeInPage = { axe: { run(context: Document, options: object): Promise<{ violations: Violation[] }> } };

/**
 * Every axe rule, violations only. The first run of a page goes through @axe-core/playwright,
 * which injects axe-core into it (about a second here, most of the cost); the later runs on the
 * same document (another viewport or colour scheme, no navigation) call that injected axe again.
 */
async function runAxe(page: Page, first: boolean): Promise<Violation[]> {
  if (first) {
    return (await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze()).violations;
  }
  return page.evaluate(
    async () =>
      (await (window as unknown as AxeInPage).axe.run(document, { resultTypes: ['violations'] })).violations,
  );
}

function listViolations(violations: Violation[]): string {
  return violations
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((node) => node.target.join(' ')).join('\n    ')}`,
    )
    .join('\n');
}

/** Written to a temporary name then renamed: two workers never leave a half-written file. */
async function writeAtomically(file: string, data: Buffer | string) {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/**
 * Checks the page the browser shows now, as a reviewer would look at it:
 * - axe-core on the desktop layout in the light and dark colour schemes and on the phone layout;
 *   a violation of impact serious or critical fails the test (the others are reported);
 * - full-page screenshots on a desktop and a phone-sized viewport, kept in
 *   e2e/artifacts/screenshots/NAME-{desktop,phone}.png and attached to the HTML report.
 * `name` must be unique across the suite: it names the files.
 */
export async function checkPage(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const record: AxeRecord = {
    page: name,
    url: page.url(),
    test: testInfo.titlePath.slice(1).join(' › '),
    runs: [],
  };
  const views = [
    { view: 'desktop', size: desktop, colorScheme: 'light' as const, shot: true },
    { view: 'desktop-dark', size: desktop, colorScheme: 'dark' as const, shot: false },
    { view: 'phone', size: phone, colorScheme: 'light' as const, shot: true },
  ];
  const failures: string[] = [];
  for (const { view, size, colorScheme, shot } of views) {
    await page.setViewportSize(size);
    await page.emulateMedia({ colorScheme });
    const violations = await runAxe(page, view === views[0]?.view);
    record.runs.push({
      view,
      violations: violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? 'unknown',
        nodes: v.nodes.length,
        help: v.help,
      })),
    });
    const serious = violations.filter((v) => blocking.has(v.impact ?? ''));
    if (serious.length > 0) failures.push(`${view}:\n  ${listViolations(serious)}`);
    if (shot) {
      const image = await page.screenshot({ fullPage: true });
      await writeAtomically(path.join(screenshotsDir, `${name}-${view}.png`), image);
      await testInfo.attach(`${name} (${view})`, { body: image, contentType: 'image/png' });
    }
  }
  await page.setViewportSize(desktop);
  await page.emulateMedia({ colorScheme: 'light' });
  await writeAtomically(path.join(axeDir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  expect(failures, `axe found serious or critical violations on "${name}" (${record.url})`).toEqual([]);
}
