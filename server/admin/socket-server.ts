import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { authDepsOf } from '../auth-deps.js';
import type { Deps } from '../deps.js';
import { parseAdminArgs } from './cli-args.js';
import { CommandFailed, runCommand } from './commands.js';
import { type AdminResponse, adminRequest, MAX_REQUEST_BYTES } from './socket-protocol.js';

/**
 * The running server's side of `npm run admin` on lowdb: the server holds DB_FILE's lock, so the
 * CLI cannot open the store while it runs; instead it asks the server through this Unix socket,
 * and what it changes takes effect in the server at once (the same store, the same memory). The
 * socket is mode 0600 beside DB_FILE: only the account that owns the data can connect.
 */
export type AdminSocket = { path: string; close(): Promise<void> };

function answer(socket: Socket, response: AdminResponse): void {
  socket.end(`${JSON.stringify(response)}\n`);
}

async function handle(deps: Deps, line: string): Promise<AdminResponse> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, message: 'the request is not JSON', usage: true };
  }
  const request = adminRequest.safeParse(json);
  if (!request.success) return { ok: false, message: 'the request is not an admin request', usage: true };
  const parsed = parseAdminArgs(request.data.argv);
  if (parsed.kind === 'help') return { ok: true, data: null, text: parsed.text };
  if (parsed.kind === 'error') return { ok: false, message: parsed.message, usage: true };
  try {
    const input = {
      ...(request.data.password !== undefined ? { password: request.data.password } : {}),
      ...(request.data.fileText !== undefined ? { fileText: request.data.fileText } : {}),
    };
    const result = await runCommand(authDepsOf(deps), parsed.command, input);
    deps.log.info({ admin: parsed.command.name }, 'admin command done');
    return { ok: true, ...result };
  } catch (error) {
    if (error instanceof CommandFailed) return { ok: false, message: error.message };
    deps.log.error({ err: error, admin: parsed.command.name }, 'admin command failed');
    return { ok: false, message: 'the server could not do it (see its log)' };
  }
}

function serve(deps: Deps, socket: Socket): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    const newline = chunk.indexOf(0x0a);
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      done = true;
      answer(socket, { ok: false, message: 'the request is too large', usage: true });
      return;
    }
    if (newline === -1) return;
    done = true;
    void handle(deps, Buffer.concat(chunks).toString('utf8')).then((response) => answer(socket, response));
  });
}

/**
 * Listens on `path`. A socket file left there by a server that died is removed first: this
 * process holds DB_FILE's lock, so no other live server can own it.
 */
export async function startAdminSocket(deps: Deps, path: string): Promise<AdminSocket | null> {
  try {
    return await listenOn(deps, path);
  } catch (error) {
    // The app serves without it (a path over the 107-byte limit of a Unix socket, a read-only
    // folder); the CLI then says the store is held by a server whose socket does not answer.
    deps.log.warn(
      { err: error, path },
      'cannot open the admin socket; npm run admin will not reach this server',
    );
    return null;
  }
}

async function listenOn(deps: Deps, path: string): Promise<AdminSocket> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const server: Server = createServer((socket) => serve(deps, socket));
  // The socket file is created with the umask's mode: 0600 from the start, not chmod'ed after a
  // moment in which another local account could connect.
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // listen() binds a Unix socket synchronously, so the umask is back before anything else runs.
  const umask = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(umask);
  }
  await listening;
  await chmod(path, 0o600);
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}
