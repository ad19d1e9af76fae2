import { isIPv6 } from 'node:net';

/**
 * The client's address without a port: a proxy that writes `X-Forwarded-For: 203.0.113.5:41234`
 * (or `[2001:db8::1]:41234`) would otherwise give every connection its own limiter key.
 */
export function withoutPort(ip: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  return v4 ? v4[1]! : ip;
}

/**
 * The client's address as a throttling key. IPv6 clients usually hold a whole /64, so they are
 * counted per /64; IPv4-mapped addresses count as IPv4. `ctx.ip` believes X-Forwarded-For only
 * when TRUST_PROXY is set (Koa's `proxy` option).
 */
export function addressKey(raw: string): string {
  const ip = withoutPort(raw.trim());
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip.slice(0, 64) || 'unknown';
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}
