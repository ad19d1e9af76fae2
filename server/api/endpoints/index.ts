import type { AuthDeps } from '../../auth/types.js';
import type { Limiter } from '../../middleware/rate-limit.js';
import { defineEndpoint, type Endpoint } from '../endpoint.js';
import { buildOpenApiDocument } from '../openapi.js';
import { accountEndpoints } from './account.js';
import { activityEndpoints } from './activity.js';
import { passwordEndpoints } from './passwords.js';
import { sessionEndpoints } from './sessions.js';
import { signUpEndpoints } from './sign-up.js';
import { twoFactorEndpoints } from './two-factor.js';

/**
 * Every endpoint of the API, once. The router (router.ts), the OpenAPI document (openapi.ts) and
 * the throttles all read this list.
 */
export function apiEndpoints(auth: AuthDeps, limiter: Limiter | null): Endpoint[] {
  const endpoints: Endpoint[] = [
    ...signUpEndpoints(auth),
    ...sessionEndpoints(auth),
    ...twoFactorEndpoints(auth),
    ...passwordEndpoints(auth, limiter),
    ...accountEndpoints(auth),
    ...activityEndpoints(auth),
  ];
  // Built on the first request for it, not at start: zod's JSON Schema conversion of every
  // endpoint costs ~0.1 s of start-up CPU (issue 15's profile). The list never changes after this.
  let document: Record<string, unknown> | null = null;
  const withDocument: Endpoint[] = [
    openApiEndpoint(() => (document ??= buildOpenApiDocument(withDocument))),
    ...endpoints,
  ];
  return withDocument;
}

function openApiEndpoint(document: () => Record<string, unknown>): Endpoint {
  return defineEndpoint({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    caller: 'anyone',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
    async handler() {
      return { body: document() };
    },
  });
}
