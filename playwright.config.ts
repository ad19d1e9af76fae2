import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/support/chromium.js';

/**
 * Browser tests: Debian's Chromium (never a downloaded browser) against the real app, which
 * e2e/support/launch.ts starts next to a real SMTP server. Everything a run produces lands in
 * e2e/artifacts/ (git-ignored): the HTML report, results.json, screenshots, the axe summary.
 */
const artifacts = 'e2e/artifacts';

export default defineConfig({
  testDir: 'e2e',
  outputDir: `${artifacts}/test-results`,
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  // Each test makes its own users (unique emails), so tests run in any order, two at a time
  // (this is a 2-core machine: the app and two browsers share it).
  fullyParallel: true,
  workers: 2,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // Long flows check many pages (three axe runs and two screenshots each).
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: `${artifacts}/report` }],
    ['json', { outputFile: `${artifacts}/results.json` }],
  ],
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'node --import tsx e2e/support/launch.ts',
    // The launcher prints the mailbox's URL, then the app's; the named groups become
    // process.env.E2E_MAILBOX_URL and E2E_BASE_URL, which the workers inherit (e2e/fixtures.ts).
    wait: {
      stdout:
        /e2e mailbox on (?<e2e_mailbox_url>http:\/\/\S+)[\s\S]*e2e app listening on (?<e2e_base_url>http:\/\/\S+)/,
    },
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
  },
});
