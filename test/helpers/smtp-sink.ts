import { once } from 'node:events';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type CaughtMail = { to: string; subject: string; text: string; html: string; links: string[] };

export type SmtpSink = {
  url: string;
  mails: CaughtMail[];
  /**
   * Resolves with the next (or an already caught, unclaimed) mail to `to`; with `match`, the next
   * one it accepts (others stay unclaimed), so a notice arriving in between does not stand in.
   */
  waitFor(to: string, timeoutMs?: number, match?: (mail: CaughtMail) => boolean): Promise<CaughtMail>;
  /** `waitFor` the next mail to `to` with this subject, at the default deadline. */
  waitForSubject(to: string, subject: string): Promise<CaughtMail>;
  /** While true, the server refuses every message with `refuseCode` (a mail outage). */
  refuse: boolean;
  /** The SMTP reply code a refusal uses: 451 (temporary, the default) or a 5xx (permanent). */
  refuseCode: number;
  /** Each message is answered this long after it arrives (a slow mail server): senders hold their claims meanwhile. */
  delayMs: number;
  /** Stops listening (a mail server down): connections are refused until `restart`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
};

function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((match) => match[0]);
}

/** A real SMTP server on a free loopback port that keeps every message it accepts, parsed. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: CaughtMail[] = [];
  const claimed = new Set<CaughtMail>();
  const waiters: Array<{
    to: string;
    match: (mail: CaughtMail) => boolean;
    resolve: (mail: CaughtMail) => void;
  }> = [];
  const sink: SmtpSink = {
    url: '',
    mails,
    refuse: false,
    refuseCode: 451,
    delayMs: 0,
    waitFor(to, timeoutMs = 30_000, match = () => true) {
      const wanted = to.toLowerCase();
      const ready = mails.find((mail) => mail.to === wanted && !claimed.has(mail) && match(mail));
      if (ready) {
        claimed.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          to: wanted,
          match,
          resolve: (mail: CaughtMail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        // A timed-out waiter leaves the queue, or it would claim (and hide) the next mail to `to`.
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    waitForSubject(to, subject) {
      return sink.waitFor(to, undefined, (mail) => mail.subject === subject);
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
    async restart() {
      server = createServer();
      server.listen(port, '127.0.0.1');
      await once(server.server, 'listening');
      listening = true;
    },
    async close() {
      if (listening) await sink.stop();
    },
  };
  const createServer = () => {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A mail server going down cuts its open connections (a sender's pooled one too) at once,
      // instead of smtp-server's 30 s grace that would make stop() take that long.
      closeTimeout: 200,
      onData(stream, _session, callback) {
        if (sink.refuse) {
          stream.resume();
          stream.on('end', () => {
            const error = Object.assign(new Error('mailbox unavailable (test outage)'), {
              responseCode: sink.refuseCode,
            });
            callback(error);
          });
          return;
        }
        simpleParser(stream)
          .then(async (parsed: ParsedMail) => {
            if (sink.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, sink.delayMs));
            const to =
              (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.value[0]?.address?.toLowerCase() ?? '';
            const text = parsed.text ?? '';
            const mail: CaughtMail = {
              to,
              subject: parsed.subject ?? '',
              text,
              html: String(parsed.html || ''),
              links: linksIn(text),
            };
            mails.push(mail);
            const waiter = waiters.findIndex((candidate) => candidate.to === to && candidate.match(mail));
            if (waiter >= 0) {
              claimed.add(mail);
              waiters.splice(waiter, 1)[0]!.resolve(mail);
            }
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    // smtp-server re-emits every connection's socket error on the server: a sender killed
    // mid-session (the kill -9 tests) is an ECONNRESET here, expected, and must not crash the run.
    smtp.on('error', () => undefined);
    return smtp;
  };
  let server = createServer();
  let listening = true;
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  sink.url = `smtp://127.0.0.1:${port}`;
  return sink;
}
