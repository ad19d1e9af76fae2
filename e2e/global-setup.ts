import { rm } from 'node:fs/promises';
import { axeDir, screenshotsDir } from './support/check-page.js';

/**
 * Runs after the webServer (e2e/support/launch.ts) is up: fails early, with a clear message, if
 * the app or the mailbox does not answer, and clears the screenshots and axe records of the last
 * run so the folder shows this run's pages only.
 */
export default async function globalSetup(): Promise<void> {
  const app = process.env.E2E_BASE_URL;
  const mailbox = process.env.E2E_MAILBOX_URL;
  if (!app || !mailbox) throw new Error('the e2e launcher did not report its URLs (webServer.wait)');
  const health = await fetch(`${app}/healthz`);
  if (!health.ok) throw new Error(`the app at ${app} answered /healthz with ${health.status}`);
  const messages = await fetch(`${mailbox}/messages?to=nobody@example.com`);
  if (!messages.ok) throw new Error(`the e2e mailbox at ${mailbox} answered ${messages.status}`);
  await rm(screenshotsDir, { recursive: true, force: true });
  await rm(axeDir, { recursive: true, force: true });
}
