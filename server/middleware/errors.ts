import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AuthError } from '../auth/errors.js';
import { fromLibraryError, HttpError, notFound, refuse } from './http-error.js';

/**
 * Turns a domain error into the web's words and status. Each app brings its own: the API's is the
 * presenter's code → status table with LoopBack's messages, the pages' lives beside their forms.
 * Returns null for anything it does not know (a bug: answered as a 500 and logged).
 */
export type TranslateError = (error: AuthError) => HttpError | null;

/** How an app writes an error once it is an HttpError. */
export type RenderError = (ctx: Context, error: HttpError) => Promise<void>;

const internalError = () =>
  refuse(500, 'INTERNAL_ERROR', 'Something went wrong on our side. Please try again.');

/**
 * Reads the status and words an AuthError carried before the domain lost them (expand, then
 * contract: removed once every app passes its own table).
 */
export const legacyTranslate: TranslateError = (error) => {
  const legacy = error as unknown as { status?: unknown; retryAfter?: unknown };
  if (typeof legacy.status !== 'number') return null;
  return new HttpError(legacy.status, error.code, error.message, {
    name: error.name,
    ...(error.details ? { details: error.details } : {}),
    ...(typeof legacy.retryAfter === 'number' ? { retryAfter: legacy.retryAfter } : {}),
  });
};

/**
 * The one catch of an app: an HttpError, an AuthError its table knows and a library's 4xx keep
 * their status; anything else is a 500 logged once with its stack, which never reaches the client.
 * A route that answered nothing is a 404.
 */
export function catchErrors(log: Logger, translate: TranslateError, render: RenderError): Middleware {
  return async function catchErrors(ctx, next) {
    let error: HttpError;
    try {
      await next();
      if (ctx.status !== 404 || ctx.body !== undefined) return;
      error = notFound();
    } catch (thrown) {
      const known =
        thrown instanceof HttpError
          ? thrown
          : thrown instanceof AuthError
            ? translate(thrown)
            : fromLibraryError(thrown);
      if (known) error = known;
      else {
        log.error({ err: thrown, method: ctx.method, path: ctx.path }, 'unhandled error');
        error = internalError();
      }
    }
    ctx.status = error.status;
    for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
    if (error.retryAfter !== undefined) ctx.set('Retry-After', String(error.retryAfter));
    await render(ctx, error);
  };
}

/** LoopBack's envelope: `{error: {statusCode, name, message, code, details?}}`. */
export const renderJsonError: RenderError = async (ctx, error) => {
  ctx.body = {
    error: {
      statusCode: error.status,
      name: error.errorName,
      message: error.message,
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    },
  };
};

const headings: Record<number, string> = {
  400: 'Bad request',
  401: 'Please log in',
  403: 'Forbidden',
  404: 'Page not found',
  405: 'Method not allowed',
  408: 'Request timed out',
  413: 'Request too large',
  415: 'Unsupported content type',
  422: 'Please check your input',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

/** "about 15 minutes" for a page; the Retry-After header carries the exact seconds. */
export function waitIn(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `about ${Math.ceil(seconds / 60)} minutes`;
}

/** The error page (views/error.ejs); plain text if even that fails. */
export function renderErrorPage(log: Logger): RenderError {
  return async function renderErrorPage(ctx, error) {
    try {
      await ctx.render('error', {
        title: headings[error.status] ?? 'Error',
        status: error.status,
        heading: headings[error.status] ?? 'Error',
        message:
          error.retryAfter === undefined
            ? error.message
            : `${error.message} You can try again in ${waitIn(error.retryAfter)}.`,
        // A throttled log-in or reset offers the way out that no attacker can block: the reset.
        offerReset: error.status === 429,
      });
    } catch (renderError) {
      log.error({ err: renderError }, 'error page failed to render');
      ctx.type = 'text';
      ctx.body = error.message;
    }
  };
}

/** The pages' catch: an HTML error page. */
export function handlePageErrors(log: Logger, translate: TranslateError = legacyTranslate): Middleware {
  return catchErrors(log, translate, renderErrorPage(log));
}
