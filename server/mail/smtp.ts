import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';

/**
 * Delivers over SMTP_URL with nodemailer on a pooled connection (a few messages in flight share
 * it, rather than one handshake each); a failure rejects, and the queue retries or gives up.
 */
export function createSmtpMailer(
  smtpUrl: string,
  from: string,
  options: { maxConnections?: number } = {},
): Mailer {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  url.searchParams.set('maxConnections', String(options.maxConnections ?? 3));
  const transport = nodemailer.createTransport(url.href);
  return {
    async send(email) {
      await transport.sendMail({ from, ...email });
    },
    async close() {
      transport.close();
    },
  };
}
