import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const emailViews = fileURLToPath(new URL('../../views/email/', import.meta.url));

export type EmailTemplate = 'verify' | 'reset' | 'signup-attempt';

export type RenderedEmail = { subject: string; text: string; html: string };

const subjects: Record<EmailTemplate, string> = {
  verify: 'Confirm your email address',
  reset: 'Reset your password',
  'signup-attempt': 'Someone tried to sign up with your email address',
};

/** How long each kind of link lives, in seconds, so the email can say so. */
export type LinkLifetimes = { verify: number; reset: number };

/** "15 minutes", "24 hours", "2 days": the largest whole unit. */
export function describeDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** Renders the text and HTML versions of one email from views/email/. */
export async function renderEmail(
  template: EmailTemplate,
  to: string,
  link: string,
  lifetimes: LinkLifetimes,
): Promise<RenderedEmail> {
  const lifetime = template === 'reset' ? lifetimes.reset : lifetimes.verify;
  const locals = { link, to, appName: 'User management', expiresIn: describeDuration(lifetime) };
  const [text, html] = await Promise.all([
    ejs.renderFile(`${emailViews}${template}.text.ejs`, locals, { cache: true }),
    ejs.renderFile(`${emailViews}${template}.html.ejs`, locals, { cache: true }),
  ]);
  return { subject: subjects[template], text, html };
}
