import Router from '@koa/router';
import { type PageDeps, redirectTo } from './render.js';

/** GETs of form-only paths (the dev outbox is in dev-outbox.ts; /healthz in api/health.ts). */
export function utilityRoutes(_page: PageDeps): Router {
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

  return router;
}
