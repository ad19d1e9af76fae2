import path from 'node:path';
import * as z from 'zod';

/**
 * The admin socket's wire format, shared by the CLI (socket-client.ts) and the server
 * (socket-server.ts): one JSON line each way, then the connection closes. The request carries the
 * argv itself, so the server parses it with the same grammar as the CLI (cli-args.ts) rather than
 * trusting a command object built elsewhere.
 */

/**
 * Beside DB_FILE: whoever may read the data may run the tools, and no one else (mode 0600). A dot
 * file, so a backup's `cp db.json*` (the file and its journal) never meets a socket.
 */
export function adminSocketPath(dbFile: string): string {
  return path.join(path.dirname(dbFile), `.${path.basename(dbFile)}.admin.sock`);
}

/** An import file is sent whole; far above any real LoopBack 3 memory file. */
export const MAX_REQUEST_BYTES = 256 * 1024 * 1024;

export const adminRequest = z.object({
  argv: z.array(z.string()).max(64),
  password: z.string().max(4096).optional(),
  fileText: z.string().optional(),
});
export type AdminRequest = z.infer<typeof adminRequest>;

export const adminResponse = z.union([
  z.object({
    ok: z.literal(true),
    data: z.unknown(),
    text: z.string(),
    fileOut: z.string().optional(),
  }),
  z.object({ ok: z.literal(false), message: z.string(), usage: z.boolean().optional() }),
]);
export type AdminResponse = z.infer<typeof adminResponse>;
