import ejs from 'ejs';
import { projectPath } from '../project-paths.js';
import { MAIL_KINDS } from './kinds.js';
import type { MailKind } from './mailer.js';

const emailViews = `${projectPath('views', 'email')}/`;

export type RenderedEmail = { subject: string; text: string; html: string };

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

/**
 * Renders the text and HTML versions of one email of `kind` from views/email/. `params` are plain
 * values the template shows (never a secret); the link arrives opened from its seal.
 */
export async function renderEmail(
  kind: MailKind,
  to: string,
  link: string | null,
  lifetimes: LinkLifetimes,
  params: Readonly<Record<string, string>> = {},
): Promise<RenderedEmail> {
  const spec = MAIL_KINDS[kind];
  const lifetime = spec.lifetime ? lifetimes[spec.lifetime] : null;
  const locals = {
    ...params,
    link: link ?? '',
    to,
    appName: 'User management',
    expiresIn: lifetime === null ? '' : describeDuration(lifetime),
  };
  const [text, html] = await Promise.all([
    ejs.renderFile(`${emailViews}${spec.template}.text.ejs`, locals, { cache: true }),
    ejs.renderFile(`${emailViews}${spec.template}.html.ejs`, locals, { cache: true }),
  ]);
  return { subject: spec.subject, text, html };
}
