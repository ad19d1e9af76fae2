import Router from '@koa/router';
import { noStore, type PageDeps, redirectTo } from './render.js';

/** Health check, the development outbox, and GETs of form-only paths. */
export function utilityRoutes({ deps }: PageDeps): Router {
  const router = new Router();

  // A reload of a form's answer page (or a bookmarked one) asks for these with GET: go back to the forms.
  for (const formOnly of [
    '/login',
    '/signup',
    '/logout-all',
    '/resend-verification',
    '/request-password-reset',
    '/verify/login',
  ]) {
    router.get(formOnly, (ctx) => redirectTo(ctx, '/'));
  }

  // For a load balancer: 200 while the database answers, 503 (with Retry-After) while it does not,
  // so traffic goes to instances that can serve it; never a hang (the probe is bounded).
  router.get('/healthz', async (ctx) => {
    noStore(ctx);
    if (!deps.databaseAnswers || (await deps.databaseAnswers())) {
      ctx.body = { status: 'ok', database: 'ok' };
      return;
    }
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.body = { status: 'unavailable', database: 'down' };
  });

  const outbox = deps.outbox;
  if (outbox && !deps.config.isProduction) {
    router.get('/dev/outbox', async (ctx) => {
      noStore(ctx);
      await ctx.render('outbox', { title: 'Dev outbox', messages: await outbox.list() });
    });
  }

  return router;
}
