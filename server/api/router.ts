import Router from '@koa/router';
import type { AuthDeps } from '../auth/types.js';
import type { Limiter } from '../middleware/rate-limit.js';
import { type Endpoint, runEndpoint } from './endpoint.js';
import { apiEndpoints } from './endpoints/index.js';
import { isResetTokenValid } from './endpoints/passwords.js';

/** The API's router, built from the endpoint list: one route per declaration, nothing else. */
export function createApiRouter(auth: AuthDeps, limiter: Limiter | null = null): Router {
  const router = new Router({ prefix: '/api' });
  const tools = { limiter, isResetToken: (secret: string) => isResetTokenValid(auth, secret) };
  // Cache-Control: no-store is on every API answer (middleware/api-headers.ts).
  for (const endpoint of apiEndpoints(auth, limiter)) {
    router[endpoint.method](endpoint.path, (ctx) => runEndpoint(endpoint as Endpoint, ctx, tools));
  }
  return router;
}
