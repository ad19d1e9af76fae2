import cors from '@koa/cors';
import type { Middleware } from 'koa';

/**
 * CORS for the API, from CORS_ORIGINS only (default: none). LoopBack 3 apps are called from
 * single-page apps on other origins; an origin on the list may send the token headers and its
 * cookies. Any other origin gets no CORS header at all, so its scripts cannot read an answer:
 * never `*`, never the request's Origin reflected unless it is on the list.
 */
export function allowListedOrigins(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('origin');
      return allowed.has(origin) ? origin : '';
    },
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowHeaders: ['Authorization', 'X-Access-Token', 'Content-Type', 'X-CSRF-Token'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  }) as Middleware;
}
