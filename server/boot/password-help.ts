import Router from '@koa/router';
import { commonPasswordsFrom } from '../auth/passwords.js';
import type { PageDeps } from './render.js';

/**
 * GET /password-rules.json: what /forms.js needs to say how strong a new password is as it is
 * typed — the minimum length and the common passwords at least that long (the server's own list,
 * @zxcvbn-ts/language-common, so the page and the server agree). Public data, cached by browsers.
 */
export function passwordHelpRoutes({ deps }: PageDeps): Router {
  const router = new Router();
  const minLength = deps.config.passwordMinLength;
  const body = JSON.stringify({ minLength, common: commonPasswordsFrom(minLength) });
  router.get('/password-rules.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = body;
  });
  return router;
}
