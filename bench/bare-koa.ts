/**
 * The reference: a bare Koa app with @koa/router in its own process, answering `GET /api/users/me`
 * with the same JSON body the real app answered (sent by run.ts over IPC), and nothing else: no
 * middleware, no token look-up, no store. The ratio app ÷ this says what the stack costs.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { handleProfileCommand } from './profiler.mjs';

export type BareCommand = { type: 'serve'; body: unknown };

process.on('message', async (message: BareCommand | { type: string; file?: string }) => {
  // Profiled like the app, so its per-request work is the baseline of the app's.
  if (await handleProfileCommand(message)) return;
  if (message.type !== 'serve' || !('body' in message)) return;
  const app = new Koa();
  const router = new Router();
  router.get('/api/users/me', (ctx) => {
    // An object, not a string: Koa serialises it on every answer, as the app's route does.
    ctx.body = message.body;
  });
  app.use(router.routes());
  const server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'listening', url: `http://127.0.0.1:${port}` });
});
process.on('SIGTERM', () => process.exit(0));
// A bench that died must not leave its reference app behind.
process.on('disconnect', () => process.exit(0));
