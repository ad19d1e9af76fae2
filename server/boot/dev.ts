import Router from '@koa/router';
import { noStore, type PageDeps, redirectTo } from './render.js';

/** Health check and GETs of form-only paths (the dev outbox is in dev-outbox.ts). */
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

  return router;
}
