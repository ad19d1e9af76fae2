import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { createLogger, type RunningServer, startServer } from '../../server/server.js';
import { FormClient, pathOf } from '../helpers/browser.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';
import { api } from './support.js';

/** Everything the app would have written to its log, as text. */
function captureLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream, text: () => lines.join('') };
}

describe('logs never hold a secret', () => {
  const log = captureLog();
  let dir: string;
  let mail: SmtpSink;
  let server: RunningServer;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kum-logs-'));
    mail = await startSmtpSink();
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DB_FILE: path.join(dir, 'db.json'),
      SMTP_URL: mail.url,
      BCRYPT_ROUNDS: '4',
      RATE_LIMITS: 'on',
      HASH_WORKERS: '1',
    });
    // The app's own logger (its redaction list), at the most talkative level, into our buffer.
    server = await startServer(config, { log: createLogger('trace', log.stream), mailPollInterval: 50 });
  });
  after(async () => {
    await server.close();
    await mail.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a whole life of an account, with secrets in every place a request can carry them', async () => {
    const secrets: string[] = [];
    const keep = (value: string) => {
      secrets.push(value);
      return value;
    };
    const firstPassword = keep('first secret password 1');
    const resetPassword = keep('second secret password 2');
    const apiPassword = keep('third secret password 3');

    const browser = new FormClient(server.url);
    await browser.get('/');
    keep(browser.lastCsrf);
    await browser.post('/signup', { email: 'logged@example.com', password: firstPassword });
    const verify = (await mail.waitFor('logged@example.com')).links.find((link) =>
      link.includes('/verify?'),
    )!;
    keep(new URL(verify).searchParams.get('token')!);
    // The link opens a page that changes nothing (issue 10.6); the API's confirm verifies.
    await browser.get(pathOf(verify));
    await api(server, 'GET', `/api/users/confirm?${new URL(verify).searchParams}`);
    await browser.get('/');
    await browser.post('/login', { email: 'logged@example.com', password: keep('a wrong guess password') });
    await browser.post('/login', { email: 'logged@example.com', password: firstPassword });
    for (const value of browser.cookies.values()) keep(value);
    await browser.get('/home');

    const login = await api(server, 'POST', '/api/users/login', {
      email: 'logged@example.com',
      password: firstPassword,
    });
    assert.equal(login.status, 200);
    const token = keep((login.json as { id: string }).id);
    keep(Buffer.from(token).toString('base64'));
    await api(server, 'GET', '/api/users/me', undefined, { authorization: token });
    await api(server, 'GET', '/api/users/me', undefined, {
      authorization: `Bearer ${Buffer.from(token).toString('base64')}`,
    });
    await api(server, 'GET', '/api/users/me', undefined, { 'x-access-token': token });
    await api(server, 'GET', `/api/users/me?access_token=${token}`);
    await api(server, 'GET', '/api/users/me', undefined, { cookie: `access_token=${token}` });
    await api(
      server,
      'POST',
      '/api/users/login',
      '{"email":"logged@example.com","password":"half a json body',
      {
        'content-type': 'application/json',
      },
    );
    const malformed = await fetch(new URL('/api/users/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"password":"${keep('password in broken json')}",`,
    });
    assert.equal(malformed.status, 400);
    await api(
      server,
      'POST',
      '/api/users/change-password',
      { oldPassword: firstPassword, newPassword: apiPassword },
      { authorization: token },
    );

    // A reset while the mail server is down: the queue logs the failure and retries.
    mail.refuse = true;
    await browser.get('/');
    await browser.post('/request-password-reset', { email: 'logged@example.com' });
    await until('the delivery failure logged', () => log.text().includes('mail delivery failed'));
    mail.refuse = false;
    const reset = (
      await mail.waitFor('logged@example.com', 30_000, (caught) =>
        caught.links.some((link) => link.includes('/reset-password?')),
      )
    ).links.find((link) => link.includes('/reset-password?'))!;
    const resetToken = keep(new URL(reset).searchParams.get('access_token')!);
    await browser.get(pathOf(reset));
    await browser.post('/reset-password', {
      access_token: resetToken,
      password: resetPassword,
      confirmation: resetPassword,
    });

    const text = log.text();
    // The log is really there: one line per request, the paths without their query strings.
    assert.ok(log.lines.length > 20, `only ${log.lines.length} lines`);
    assert.match(text, /"msg":"request"/);
    assert.match(text, /"path":"\/reset-password"/);
    assert.match(text, /"msg":"mail delivery failed"/);
    for (const secret of secrets) {
      assert.ok(secret.length >= 8);
      assert.ok(!text.includes(secret), `the log holds a secret: ${secret.slice(0, 6)}…`);
    }
    assert.doesNotMatch(text, /access_token=/);
    assert.doesNotMatch(text, /"authorization"|"cookie"|set-cookie/i);
  });

  test('the redaction list blanks secrets wherever a log call puts them', () => {
    const sink = captureLog();
    const logger = createLogger('info', sink.stream);
    logger.info(
      {
        password: 'p-top',
        token: 't-top',
        access_token: 'a-top',
        link: 'https://app/reset-password?access_token=l-top',
        user: { password: 'p-nested', email: 'kept@example.com' },
        mail: { link: 'l-nested', token: 't-nested' },
        query: { access_token: 'a-nested' },
        req: { headers: { authorization: 'h-auth', cookie: 'h-cookie', 'x-access-token': 'h-x' } },
        res: { headers: { 'set-cookie': 'h-set' } },
      },
      'everything at once',
    );
    const line = sink.text();
    for (const secret of [
      'p-top',
      't-top',
      'a-top',
      'l-top',
      'p-nested',
      'l-nested',
      't-nested',
      'a-nested',
    ]) {
      assert.ok(!line.includes(secret), secret);
    }
    for (const secret of ['h-auth', 'h-cookie', 'h-x', 'h-set']) assert.ok(!line.includes(secret), secret);
    assert.match(line, /kept@example\.com/);
    assert.match(line, /\[redacted\]/);
  });
});
