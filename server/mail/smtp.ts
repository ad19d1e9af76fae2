import type { Transporter } from 'nodemailer';
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
  // nodemailer is ~0.1 s of start-up CPU (issue 15's profile): loaded with the first message.
  let transport: Promise<Transporter> | undefined;
  const connected = () => {
    transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport(url.href),
    );
    return transport;
  };
  return {
    async send(email) {
      await (await connected()).sendMail({ from, ...email });
    },
    async close() {
      (await transport)?.close();
    },
  };
}
