import type { LaunchOptions } from '@playwright/test';

/**
 * Debian's Chromium, never a downloaded browser, with the flags this machine needs: no sandbox
 * (containers run as root), no GPU, /tmp instead of a small /dev/shm, and none of the background
 * traffic (updates, sync, first-run pages) a test machine has no use for.
 */
export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
