import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnApp } from './spawn-app.js';

export type OwnApp = { url: string; close(): Promise<void> };

/**
 * A second copy of the app for one test, started the way `npm start` starts it with nothing
 * configured: no SMTP_URL, so mail goes to the dev outbox (/dev/outbox); a temporary DB_FILE.
 * `env` changes what the test is about (RATE_LIMITS=on for the throttling test).
 */
export async function startOwnApp(env: Record<string, string>): Promise<OwnApp> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kum-e2e-own-'));
  try {
    const app = await spawnApp({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DB_FILE: path.join(dir, 'db.json'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      SMTP_URL: '',
      BCRYPT_ROUNDS: '4',
      RATE_LIMITS: 'off',
      ...env,
    });
    return {
      url: app.url,
      async close() {
        await app.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
