import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';
import { type EmailTemplate, type LinkLifetimes, renderEmail } from './render.js';

/** Delivers over SMTP_URL with nodemailer; a failure rejects, and the queue retries later. */
export function createSmtpMailer(smtpUrl: string, from: string, lifetimes: LinkLifetimes): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  const send = async (template: EmailTemplate, to: string, link: string) => {
    const email = await renderEmail(template, to, link, lifetimes);
    await transport.sendMail({ from, to, ...email });
  };
  return {
    sendVerification: (to, link) => send('verify', to, link),
    sendPasswordReset: (to, link) => send('reset', to, link),
    sendSignupAttempt: (to, link) => send('signup-attempt', to, link),
    async close() {
      transport.close();
    },
  };
}
