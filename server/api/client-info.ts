import type { Context } from 'koa';
import type { ClientInfo } from '../auth/devices.js';
import { withoutPort } from '../middleware/rate-limit.js';

/**
 * Issue 14: where an API call comes from, for the token it issues and the activity it records:
 * an API client's address (without its port) and user agent. The domain names the device; the raw
 * header is clipped there and never shown.
 */
export function apiClient(ctx: Context): ClientInfo {
  return { ip: withoutPort(ctx.ip), userAgent: ctx.get('user-agent') || null, session: 'api' };
}
