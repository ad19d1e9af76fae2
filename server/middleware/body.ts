import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { requestRefused } from '../auth/errors.js';
import { wantsJson } from './errors.js';

const LIMIT = '100kb';

function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  return (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
}

/**
 * Bodies by route family: the API takes JSON only (a form body is a 415, bad JSON a 400), pages take
 * url-encoded forms only; both stop at 100 kB (413) before the body is held in memory.
 */
export function parseBodies(): Middleware {
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: LIMIT, jsonStrict: true });
  const form = bodyParser({ enableTypes: ['form'], formLimit: LIMIT });
  return async function parseBody(ctx, next) {
    if (!['POST', 'PUT', 'PATCH'].includes(ctx.method) || !hasBody(ctx)) {
      ctx.request.body = {};
      return next();
    }
    const api = wantsJson(ctx);
    if (api && !ctx.is('application/json', '+json')) {
      throw requestRefused(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    }
    if (!api && !ctx.is('application/x-www-form-urlencoded')) {
      throw requestRefused(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the form as application/x-www-form-urlencoded.',
      );
    }
    return (api ? json : form)(ctx, next);
  };
}
