import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../server/auth/types.js';
import { loadConfig } from '../../server/config.js';
import { type RunningServer, startServer } from '../../server/server.js';
import type { Store } from '../../server/store/store.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

export type TestApp = {
  url: string;
  /** The public URL email links are built from. */
  appUrl: string;
  store: Store;
  mail: SmtpSink;
  dir: string;
  dbFile: string;
  server: RunningServer;
  /** Stops the app (keeping its files and the SMTP sink) so a test can start it again. */
  stop(): Promise<void>;
  /** Stops everything and deletes the temporary folder. */
  close(): Promise<void>;
};

export type StartOptions = {
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse a folder (and so a DB_FILE) from an earlier start, to test restarts. */
  dir?: string;
  mail?: SmtpSink;
};

/**
 * The real app on port 0 with a temporary DB_FILE and a real SMTP server catching its mail.
 * Rate limits are off unless a test turns them on (RATE_LIMITS=on) to test throttling itself.
 */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'kum-test-')));
  const mail = options.mail ?? (await startSmtpSink());
  const dbFile = path.join(dir, 'db.json');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DB_FILE: dbFile,
    SMTP_URL: mail.url,
    BCRYPT_ROUNDS: '4',
    RATE_LIMITS: 'off',
    HASH_WORKERS: '2',
    ...options.env,
  });
  const server = await startServer(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    mailPollInterval: 50,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    url: server.url,
    appUrl: server.deps.config.appUrl,
    store: server.deps.store,
    mail,
    dir,
    dbFile,
    server,
    stop,
    async close() {
      await stop();
      if (!options.mail) await mail.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
