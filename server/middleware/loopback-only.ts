import { isIP } from 'node:net';
import type { Context, Middleware } from 'koa';
import { notFound } from './http-error.js';

function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const address = ip.replace(/^::ffff:/i, '');
  if (address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/**
 * Paths under `prefix` (the development outbox, which lists every reset link) answer only to a
 * client on this machine: the socket's peer is loopback, and so is the client a trusted proxy
 * names (a proxy on this machine would otherwise make every client look local). Anyone else gets
 * the ordinary 404, so the path does not even tell it exists.
 */
export function loopbackOnly(prefix: string): Middleware {
  const matches = (ctx: Context) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`);
  return async function loopbackOnly(ctx, next) {
    if (matches(ctx) && !(isLoopback(ctx.req.socket.remoteAddress) && isLoopback(ctx.ip))) throw notFound();
    await next();
  };
}
