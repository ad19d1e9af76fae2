/**
 * Playwright's webServer command. Playwright starts the webServer before globalSetup, and the
 * app must know its SMTP server when it starts, so this launcher brings up, in order:
 *   1. a real SMTP server (test/helpers/smtp-sink.ts: smtp-server + mailparser) catching every email,
 *   2. a tiny HTTP "mailbox" so the test workers (other processes) can read what it caught,
 *   3. the app itself, `node --import tsx server/server.ts`, on a free port with a temporary DB_FILE.
 * It prints both URLs; playwright.config.ts reads them from this output (webServer.wait) and hands
 * them to the workers as E2E_MAILBOX_URL and E2E_BASE_URL. On SIGTERM it stops the app, the
 * SMTP server and deletes the temporary folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSmtpSink } from '../../test/helpers/smtp-sink.js';
import { spawnApp } from './spawn-app.js';

const dir = await mkdtemp(path.join(tmpdir(), 'kum-e2e-'));
const sink = await startSmtpSink();

// GET /messages?to=ADDRESS → every email caught for that address, oldest first (JSON).
const mailbox = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://mailbox');
  if (request.method !== 'GET' || url.pathname !== '/messages') {
    response.writeHead(404).end();
    return;
  }
  const to = (url.searchParams.get('to') ?? '').toLowerCase();
  const messages = sink.mails.filter((mail) => mail.to === to);
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messages));
});
mailbox.listen(0, '127.0.0.1');
await new Promise((resolve) => mailbox.once('listening', resolve));
const mailboxAddress = mailbox.address();
const mailboxPort = typeof mailboxAddress === 'object' && mailboxAddress ? mailboxAddress.port : 0;

const app = await spawnApp({
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  DB_FILE: path.join(dir, 'db.json'),
  SMTP_URL: sink.url,
  BCRYPT_ROUNDS: '4',
  RATE_LIMITS: 'off',
});

// The config's webServer.wait pattern matches these two lines, in this order.
process.stdout.write(`e2e mailbox on http://127.0.0.1:${mailboxPort}\n`);
process.stdout.write(`e2e app listening on ${app.url}\n`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await app.stop();
  mailbox.close();
  await sink.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
app.child.once('exit', (code) => {
  if (stopping) return;
  process.stderr.write(`e2e launcher: the app exited unexpectedly (code ${code})\n`);
  void rm(dir, { recursive: true, force: true }).finally(() => process.exit(1));
});
