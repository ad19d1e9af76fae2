import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { refuse } from './http-error.js';

const LIMIT = '100kb';

function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  return (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
}

function withBody(parse: Middleware, accepts: (ctx: Context) => boolean, refusal: string): Middleware {
  return async function parseBody(ctx, next) {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || !hasBody(ctx)) {
      ctx.request.body = {};
      return next();
    }
    if (!accepts(ctx)) throw refuse(415, 'UNSUPPORTED_MEDIA_TYPE', refusal);
    return parse(ctx, next);
  };
}

/**
 * The API's bodies: JSON only (a form body is a 415, bad JSON a 400), at most 100 kB (413) before
 * the body is held in memory. A form body is refused because a cross-site page can post one
 * without a CORS preflight.
 */
export function parseJsonBodies(): Middleware {
  return withBody(
    // DELETE too: deleting the account may carry `currentPassword`.
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: LIMIT,
      jsonStrict: true,
      parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    }) as Middleware,
    (ctx) => Boolean(ctx.is('application/json', '+json')),
    'Send the body as application/json.',
  );
}

/** The pages' bodies: url-encoded forms only, at most 100 kB. */
export function parseFormBodies(): Middleware {
  return withBody(
    bodyParser({ enableTypes: ['form'], formLimit: LIMIT }) as Middleware,
    (ctx) => Boolean(ctx.is('application/x-www-form-urlencoded')),
    'Send the form as application/x-www-form-urlencoded.',
  );
}
