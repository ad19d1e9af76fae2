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

/** Renders the text and HTML versions of one email from views/email/. */
export async function renderEmail(template: EmailTemplate, to: string, link: string): Promise<RenderedEmail> {
  const locals = { link, to, appName: 'User management' };
  const [text, html] = await Promise.all([
    ejs.renderFile(`${emailViews}${template}.text.ejs`, locals, { cache: true }),
    ejs.renderFile(`${emailViews}${template}.html.ejs`, locals, { cache: true }),
  ]);
  return { subject: subjects[template], text, html };
}
