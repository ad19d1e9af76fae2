import Router from '@koa/router';
import * as z from 'zod';
import { FLASH, setFlash } from '../middleware/flash.js';
import { readForm } from './forms/form.js';
import { noStore, type PageDeps, redirectTo } from './render.js';

const messageId = z.object({ id: z.uuid() });

/**
 * The CSP of one email's HTML, shown in the outbox's iframe: the email's own inline styles and
 * data: images may apply, nothing else — no script, no form, no request anywhere (an email is data
 * from the app's templates and from what people typed, so it is treated as untrusted markup).
 * `sandbox` gives the frame an opaque origin even if the iframe attribute were missing, and only
 * the outbox page itself may frame it.
 */
const EMAIL_CSP = [
  'sandbox allow-popups allow-popups-to-escape-sandbox',
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Development only (absent with SMTP_URL or NODE_ENV=production; loopback-only.ts keeps it to this
 * machine): the emails the app would have sent, each as its HTML in a sandboxed frame with its text
 * part a click away, and a "Clear outbox" button (a POST with the form's CSRF token).
 */
export function devOutboxRoutes({ deps }: PageDeps): Router {
  const router = new Router();
  const outbox = deps.outbox;
  if (!outbox || deps.config.isProduction) return router;

  router.get('/dev/outbox', async (ctx) => {
    noStore(ctx);
    await ctx.render('outbox', { title: 'Dev outbox', messages: await outbox.list() });
  });

  router.get('/dev/outbox/:id/html', async (ctx) => {
    const { id } = readForm(messageId, { id: ctx.params.id });
    const message = (await outbox.list()).find((each) => each.id === id);
    if (!message) return;
    noStore(ctx);
    ctx.set('Content-Security-Policy', EMAIL_CSP);
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.type = 'text/html; charset=utf-8';
    // Links open in a new tab, as in a mail client, instead of inside the little frame.
    ctx.body = `<!doctype html><base target="_blank">${message.html}`;
  });

  router.post('/dev/outbox/clear', async (ctx) => {
    await outbox.clear();
    setFlash(ctx, FLASH.outboxCleared);
    redirectTo(ctx, '/dev/outbox');
  });

  return router;
}
