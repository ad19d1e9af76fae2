import type { CaughtMail } from '../../test/helpers/smtp-sink.js';

export type Mail = CaughtMail;

/**
 * Reads the emails the real SMTP server (started by e2e/support/launch.ts) caught, through the
 * launcher's small HTTP mailbox. Each test has its own Mailbox, and each address its own read
 * position, so `next(to)` means "the next email I have not read yet", as in a person's inbox.
 */
export class Mailbox {
  private readonly read = new Map<string, number>();

  constructor(private readonly url: string) {}

  /** Every email caught for `to`, oldest first. */
  async all(to: string): Promise<Mail[]> {
    const response = await fetch(`${this.url}/messages?to=${encodeURIComponent(to.toLowerCase())}`);
    if (!response.ok) throw new Error(`the e2e mailbox answered ${response.status}`);
    return (await response.json()) as Mail[];
  }

  /** Waits for the next unread email to `to` (mail goes out through a queue, so it may lag the page). */
  async next(to: string, timeoutMs = 30_000): Promise<Mail> {
    const key = to.toLowerCase();
    const position = this.read.get(key) ?? 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mails = await this.all(key);
      const mail = mails[position];
      if (mail) {
        this.read.set(key, position + 1);
        return mail;
      }
      if (Date.now() > deadline)
        throw new Error(`no new email to ${to} within ${timeoutMs} ms (${position} read before)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Waits for the next unread email to `to` with this subject, passing over (and so reading) the
   * ones before it: a notice (a new sign-in, a password change) may arrive between two others.
   */
  async nextWith(to: string, subject: string, timeoutMs = 30_000): Promise<Mail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mail = await this.next(to, Math.max(1, deadline - Date.now()));
      if (mail.subject === subject) return mail;
    }
  }
}
