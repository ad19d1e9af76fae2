import { connect } from 'node:net';
import { type AdminRequest, type AdminResponse, adminResponse } from './socket-protocol.js';

/** No server listens on the socket (absent, or left by one that died): the CLI opens the store. */
export class NoServerError extends Error {
  override name = 'NoServerError';
}

/** Sends one request to the running server's admin socket and reads its one-line answer. */
export function askServer(path: string, request: AdminRequest): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED'))
        reject(new NoServerError());
      else reject(new Error(`the admin socket ${path}: ${error.message}`));
    });
    socket.on('end', () => {
      try {
        resolve(adminResponse.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch {
        reject(new Error(`the server at ${path} gave no readable answer`));
      }
    });
  });
}
