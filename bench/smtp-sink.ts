import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

/**
 * A mail server that accepts and discards: NODE_ENV=production needs SMTP_URL, and every sign-up
 * queues a verification email the server really sends. Parsing nothing keeps the sink's CPU out
 * of the figures.
 */
export async function startDiscardingSmtp(): Promise<{
  url: string;
  received(): number;
  close(): Promise<void>;
}> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    // smtp-server's built-in certificate has expired: plain SMTP on loopback.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received += 1;
        callback();
      });
      stream.resume();
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
