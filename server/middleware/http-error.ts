/** Per-field problems, in LoopBack's ValidationError `details` shape. */
export type HttpErrorDetails = {
  codes: Record<string, string[]>;
  messages: Record<string, string[]>;
};

/** Issue 17: what a 401 MFA_REQUIRED hands back as its `details` (the second step's ticket). */
export type HttpErrorHandBack = { mfaToken: string };

export type HttpErrorOptions = {
  /** LoopBack's `name` in the envelope: `Error`, or `ValidationError` for a 422 of the model. */
  name?: string;
  details?: HttpErrorDetails;
  /** Sent as `details` when there are no field details (issue 17's mfaToken). */
  handBack?: HttpErrorHandBack;
  /** Seconds until a throttled caller may try again (429): sent as `Retry-After`. */
  retryAfter?: number;
  /** Extra response headers (`Allow` on a 405). */
  headers?: Record<string, string>;
};

/**
 * The web layer's error: a status, a code clients branch on, and words for people. The domain
 * never sees it (its AuthError carries a code only); each app's error handler turns an AuthError
 * into one of these through its own table (the API's presenter, the pages' forms) and renders it.
 */
export class HttpError extends Error {
  readonly errorName: string;
  readonly details: HttpErrorDetails | undefined;
  readonly handBack: HttpErrorHandBack | undefined;
  readonly retryAfter: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message);
    this.errorName = options.name ?? 'Error';
    this.details = options.details;
    this.handBack = options.handBack;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
  }
}

/** A request refused at the edge before any rule ran (bad body, bad form, CSRF, unknown route). */
export const refuse = (status: number, code: string, message: string, options?: HttpErrorOptions) =>
  new HttpError(status, code, message, options);

export const notFound = () => refuse(404, 'NOT_FOUND', 'There is nothing at this address.');

export const csrfRejected = () =>
  refuse(
    403,
    'EBADCSRFTOKEN',
    'This form has expired or did not come from this site. Reload the page and try again.',
  );

export const tooManyRequests = (retryAfter: number) =>
  refuse(429, 'TOO_MANY_REQUESTS', 'Too many attempts. Please wait before trying again.', { retryAfter });

const LIBRARY_MESSAGES: Record<number, string> = {
  400: 'The request was refused.',
  408: 'The request took too long to arrive.',
  413: 'The request body is larger than 100 kB.',
  415: 'Unsupported content type or charset.',
};

/**
 * Body-parser and other http-errors keep their 4xx status, with words of ours (never the
 * library's, which may echo input); zlib's errors (a gzip body that does not inflate) are the
 * client's fault. Anything else is not a client error: null.
 */
export function fromLibraryError(error: unknown): HttpError | null {
  const candidate = error as { status?: unknown; type?: unknown; code?: unknown } | null;
  if (typeof candidate?.code === 'string' && candidate.code.startsWith('Z_'))
    return refuse(400, 'BAD_CONTENT_ENCODING', 'The request body could not be decompressed.');
  const status = typeof candidate?.status === 'number' ? candidate.status : 0;
  if (status < 400 || status >= 500) return null;
  if (status === 413) return refuse(413, 'ENTITY_TOO_LARGE', LIBRARY_MESSAGES[413]!);
  if (status === 415) return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', LIBRARY_MESSAGES[415]!);
  if (status === 408 || candidate?.type === 'request.aborted')
    return refuse(408, 'REQUEST_TIMEOUT', LIBRARY_MESSAGES[408]!);
  // co-body (under @koa/bodyparser) throws a SyntaxError with status 400; raw-body sets `type`.
  if (status === 400 && (error instanceof SyntaxError || candidate?.type === 'entity.parse.failed'))
    return refuse(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
  return refuse(status, 'BAD_REQUEST', LIBRARY_MESSAGES[status] ?? 'The request was refused.');
}
