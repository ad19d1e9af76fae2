import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { AuthError } from '../auth/errors.js';
import { StoreUnavailableError } from '../store/store.js';
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

/** The database or disk is away (StoreUnavailableError): nothing was acknowledged, so a retry is safe. */
const storeUnavailable = () =>
  refuse(503, 'SERVICE_UNAVAILABLE', 'The service is briefly unavailable. Please try again in a moment.', {
    retryAfter: 5,
  });

/**
 * Reads the status and words an AuthError carried before the domain lost them (expand, then
 * contract: kept only for legacy-style errors built with a status, e.g. `requestRefused`).
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
 * The pages' status and words for a domain error no form caught (a form catches its own and
 * words them beside its fields, boot/forms/). People read these, so they say what to do.
 */
const PAGE_ANSWERS: Record<string, readonly [number, string]> = {
  LOGIN_FAILED: [401, 'The email, username or password is not right.'],
  LOGIN_FAILED_EMAIL_NOT_VERIFIED: [401, 'Confirm your email address first: follow the link we sent you.'],
  USERNAME_EMAIL_REQUIRED: [400, 'Enter your email or username.'],
  EMAIL_REQUIRED: [400, 'Enter your email address.'],
  AUTHORIZATION_REQUIRED: [401, 'Please log in to see this page.'],
  REAUTHENTICATION_REQUIRED: [401, 'Enter your current password to make this change.'],
  INVALID_PASSWORD: [400, 'Your current password is not right.'],
  INVALID_TOKEN: [400, 'This link is invalid or has expired. Ask for a new one.'],
  USER_NOT_FOUND: [404, 'This link is invalid or has expired. Ask for a new one.'],
  VALIDATION_ERROR: [422, 'Please check your input.'],
  PASSWORD_TOO_LONG: [422, 'The password is longer than 72 bytes.'],
};

/** The pages' TranslateError; an error still built the legacy way keeps its own status. */
export const translateForPages: TranslateError = (error) => {
  const answer = PAGE_ANSWERS[error.code];
  if (!answer) return legacyTranslate(error);
  return new HttpError(answer[0], error.code, answer[1]);
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
      else if (thrown instanceof StoreUnavailableError) {
        log.warn({ err: thrown, method: ctx.method, path: ctx.path }, 'the store is unavailable');
        error = storeUnavailable();
      } else {
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
      ...(error.details ? { details: error.details } : error.handBack ? { details: error.handBack } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    },
  };
};

const headings: Record<number, string> = {
  400: 'Something in the request was not right',
  401: 'Please log in',
  403: 'This form has expired',
  404: 'Page not found',
  405: 'This address does not take that request',
  408: 'The request took too long',
  413: 'That was too much to send',
  415: 'That kind of content is not accepted',
  422: 'Please check your input',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Briefly unavailable',
};

/** "about 15 minutes" for a page; the Retry-After header carries the exact seconds. */
export function waitIn(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `about ${Math.ceil(seconds / 60)} minutes`;
}

type Step = { href: string; text: string };

/**
 * Every error page ends with one clear next step, chosen by status: log in for a 401, the account
 * (or the log-in page) after a missing page or an expired form, the password reset for a 429 —
 * the way in that no guesser can block.
 */
function nextStep(status: number, loggedIn: boolean): Step {
  if (status === 401) return { href: '/', text: 'Log in' };
  if (status === 429) return { href: '/?forgot=#forgot-heading', text: 'Reset your password' };
  return loggedIn
    ? { href: '/home', text: 'Go to your account' }
    : { href: '/', text: 'Go to the log-in page' };
}

/** The words under the heading; a 429 says when, once, beside the reset it offers. */
function explain(error: HttpError): string {
  if (error.status === 429 && error.retryAfter !== undefined)
    return `You can try again in ${waitIn(error.retryAfter)}. If you have forgotten your password, a reset link lets you in at once.`;
  if (error.retryAfter !== undefined)
    return `${error.message} You can try again in ${waitIn(error.retryAfter)}.`;
  return error.message;
}

/** The error page (views/error.ejs); plain text if even that fails. */
export function renderErrorPage(log: Logger): RenderError {
  return async function renderErrorPage(ctx, error) {
    const heading =
      error.status === 403 && error.code !== 'EBADCSRFTOKEN'
        ? 'Not allowed here'
        : (headings[error.status] ?? 'Something went wrong');
    try {
      await ctx.render('error', {
        title: `Error: ${heading}`,
        status: error.status,
        heading,
        message: explain(error),
        link: nextStep(error.status, Boolean(ctx.state.currentUser)),
      });
    } catch (renderError) {
      log.error({ err: renderError }, 'error page failed to render');
      ctx.type = 'text';
      ctx.body = error.message;
    }
  };
}

/** The pages' catch: an HTML error page. */
export function handlePageErrors(log: Logger, translate: TranslateError = translateForPages): Middleware {
  return catchErrors(log, translate, renderErrorPage(log));
}
