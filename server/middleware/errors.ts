import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AuthError, notFound, requestRefused } from '../auth/errors.js';

const headings: Record<number, string> = {
  400: 'Bad request',
  401: 'Please log in',
  403: 'Forbidden',
  404: 'Page not found',
  413: 'Request too large',
  415: 'Unsupported content type',
  422: 'Please check your input',
  405: 'Method not allowed',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

/** "about 15 minutes" for a page; the Retry-After header carries the exact seconds. */
function waitIn(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `about ${Math.ceil(seconds / 60)} minutes`;
}

/**
 * The JSON API answers in LoopBack's envelope; everything else gets an HTML page. Case-blind, as
 * @koa/router matches: `/API/users/login` reaches the API, so it must get the API's body rules too.
 */
export function wantsJson(ctx: Context): boolean {
  return /^\/api(\/|$)/i.test(ctx.path);
}

/** Body-parser and other http-errors keep their 4xx status, with a message of ours. */
function fromHttpError(error: unknown): AuthError | null {
  const candidate = error as { status?: unknown; expose?: unknown; type?: unknown } | null;
  const status = typeof candidate?.status === 'number' ? candidate.status : 0;
  // zlib's errors (a body sent as gzip or br that does not inflate) carry no status: the client's fault.
  if (
    typeof (error as { code?: unknown } | null)?.code === 'string' &&
    /^Z_/.test((error as { code: string }).code)
  )
    return requestRefused(400, 'BAD_CONTENT_ENCODING', 'The request body could not be decompressed.');
  if (status < 400 || status >= 500) return null;
  if (status === 413)
    return requestRefused(413, 'ENTITY_TOO_LARGE', 'The request body is larger than 100 kB.');
  if (status === 415)
    return requestRefused(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type or charset.');
  // co-body (under @koa/bodyparser) throws a SyntaxError with status 400; raw-body sets `type`.
  if (status === 400 && (error instanceof SyntaxError || candidate?.type === 'entity.parse.failed'))
    return requestRefused(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
  return requestRefused(status, 'BAD_REQUEST', headings[status] ?? 'The request was refused.');
}

/**
 * The one place an error becomes a response: AuthError (and 4xx http-errors) keep their status;
 * anything else is a 500 logged once with its stack, which never reaches the client.
 */
export function handleErrors(log: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    let error: AuthError;
    try {
      await next();
      if (ctx.status !== 404 || ctx.body !== undefined) return;
      error = notFound();
    } catch (thrown) {
      const known = thrown instanceof AuthError ? thrown : fromHttpError(thrown);
      if (known) error = known;
      else {
        log.error({ err: thrown, method: ctx.method, path: ctx.path }, 'unhandled error');
        error = new AuthError(
          500,
          'Error',
          'INTERNAL_ERROR',
          'Something went wrong on our side. Please try again.',
        );
      }
    }
    ctx.status = error.status;
    if (error.retryAfter !== undefined) ctx.set('Retry-After', String(error.retryAfter));
    if (wantsJson(ctx)) {
      ctx.body = {
        error: {
          statusCode: error.status,
          name: error.name,
          message: error.message,
          code: error.code,
          ...(error.details ? { details: error.details } : {}),
        },
      };
      return;
    }
    try {
      await ctx.render('error', {
        title: headings[error.status] ?? 'Error',
        status: error.status,
        heading: headings[error.status] ?? 'Error',
        message:
          error.retryAfter === undefined
            ? error.message
            : `${error.message} You can try again in ${waitIn(error.retryAfter)}.`,
      });
    } catch (renderError) {
      log.error({ err: renderError }, 'error page failed to render');
      ctx.type = 'text';
      ctx.body = error.message;
    }
  };
}
