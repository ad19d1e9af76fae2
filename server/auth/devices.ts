import { randomBytes } from 'node:crypto';
import { UAParser } from 'ua-parser-js';
import type { TokenMetadata } from '../store/store.js';

/**
 * Readable device names for the sessions page and the activity log ("Firefox on Linux"), from the
 * User-Agent header with ua-parser-js (a maintained parser: hand-written patterns age badly).
 * A header is attacker-chosen text: it is clipped before parsing and only the parser's names are
 * shown, never the raw header.
 */

const MAX_HEADER = 300;

/** "Browser on OS", either part alone, or null when nothing is recognised (a script, curl). */
export function deviceName(userAgent: string | null | undefined): string | null {
  if (userAgent === null || userAgent === undefined || userAgent.trim() === '') return null;
  const parsed = UAParser(userAgent.slice(0, MAX_HEADER));
  const browser = parsed.browser.name;
  const os = parsed.os.name;
  if (browser !== undefined && os !== undefined) return `${browser} on ${os}`;
  return browser ?? os ?? null;
}

/** The name to show: the parsed name, else a generic one so a row never reads blank. */
export function deviceLabel(userAgent: string | null | undefined): string {
  return deviceName(userAgent) ?? (userAgent ? 'Unknown device' : 'No device information');
}

/** Where a sign-in came from, as the web layer saw it. */
export type ClientInfo = { ip?: string | null; userAgent?: string | null; session: 'browser' | 'api' };

/** A new public token id (LoopBack's `:fk`): unguessable, never derived from the secret. */
export function newTokenId(): string {
  return randomBytes(9).toString('base64url');
}

/** The metadata a session token is issued with (NewToken's optional fields). */
export function sessionMetadata(client: ClientInfo | undefined, now: Date): TokenMetadata {
  return {
    id: newTokenId(),
    lastUsed: now.toISOString(),
    ip: client?.ip ?? null,
    userAgent: client?.userAgent ? client.userAgent.slice(0, MAX_HEADER) : null,
    session: client?.session ?? 'api',
  };
}
