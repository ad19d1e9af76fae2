/**
 * Which issuers this app may trust, with no dependency of its own, so config.ts can check
 * OIDC_PROVIDERS at start without loading the OpenID Connect client.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why an issuer may not be used, or null. https always; `http://` only on a loopback host and only
 * outside production, so tests and development can run a local provider while a deployment never
 * sends a client secret or trusts keys over plain HTTP.
 */
export function issuerProblem(issuer: string, production: boolean): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `issuer ${JSON.stringify(issuer)} is not a URL`;
  }
  if (url.search || url.hash) return `issuer ${issuer} must not have a query or fragment`;
  if (url.protocol === 'https:') return null;
  if (url.protocol !== 'http:') return `issuer ${issuer} must be https`;
  if (!LOOPBACK_HOSTS.has(url.hostname))
    return `issuer ${issuer} must be https (http only on a loopback host)`;
  if (production) return `issuer ${issuer} must be https in production`;
  return null;
}
