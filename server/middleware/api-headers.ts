import type { Middleware } from 'koa';

/**
 * The security headers of a JSON API answer, set in one pass (issue 15: helmet's full page set cost
 * ~1 KB and a dozen setHeader calls per answer, the largest item of /api/users/me's CPU profile).
 * Kept, because they matter for JSON a browser may load:
 * - a CSP of `default-src 'none'; frame-ancestors 'none'`: stricter than the pages' policy, since a
 *   JSON answer loads nothing; an answer opened as a document can run nothing and be framed nowhere;
 * - `X-Content-Type-Options: nosniff`: JSON is never sniffed into script or HTML;
 * - `X-Frame-Options: DENY` for browsers older than frame-ancestors;
 * - `Referrer-Policy: no-referrer`, the site's rule (a reset token must never ride in a Referer);
 * - `Cross-Origin-Resource-Policy: same-origin`: no other site may embed an answer (`<script src>`)
 *   and so pull account data into its process; CORS reads (cors.ts) are not affected by it;
 * - `Cache-Control: no-store`: answers carry tokens and account data, no cache may keep them;
 * - HSTS when APP_URL is https.
 * Left to the pages (security-headers.ts), because they only act on HTML documents: COOP and
 * Origin-Agent-Cluster (browsing-context grouping), X-DNS-Prefetch-Control (prefetch of a page's
 * links), X-Download-Options (IE8 opening downloaded HTML), X-Permitted-Cross-Domain-Policies
 * (Flash/PDF policy files) and `X-XSS-Protection: 0` (the old XSS auditor of rendered pages).
 */
export function apiSecurityHeaders(options: { https: boolean }): Middleware {
  const headers: [string, string][] = [
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Cache-Control', 'no-store'],
    ...(options.https
      ? ([['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']] as [string, string][])
      : []),
  ];
  return async function apiSecurityHeaders(ctx, next) {
    const { res } = ctx;
    for (const [name, value] of headers) res.setHeader(name, value);
    await next();
  };
}
