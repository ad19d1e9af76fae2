import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfigFromProcess } from '../config.js';
import { type AdminCommand, parseAdminArgs } from './cli-args.js';
import { CommandFailed, type CommandResult, runCommand } from './commands.js';
import type { LocalRun } from './local.js';
import { readPassword } from './password-input.js';
import { askServer, NoServerError } from './socket-client.js';
import { type AdminRequest, adminSocketPath } from './socket-protocol.js';

/**
 * `npm run admin -- COMMAND`: the operator's entry point (issue 18). On lowdb it asks the running
 * server through its admin socket, or opens DB_FILE itself when no server runs; on PostgreSQL
 * (DATABASE_URL) it opens the database beside any running servers. Exit status: 0 done, 1 the
 * command failed (one line on stderr), 2 a usage error.
 */

type Io = {
  argv: readonly string[];
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
};

/** A failure worth one line; anything else is a bug and keeps its stack. */
class Failure extends Error {
  constructor(
    message: string,
    readonly status: 1 | 2 = 1,
  ) {
    super(message);
  }
}

async function gatherInput(command: AdminCommand, io: Io): Promise<Omit<AdminRequest, 'argv'>> {
  if (command.name === 'users create' && !command.invite) {
    try {
      return { password: await readPassword(io.stdin, io.stderr) };
    } catch (error) {
      throw new Failure(`users create: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (command.name === 'import lb3') {
    try {
      return { fileText: await readFile(command.file, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Failure(`import lb3: cannot read ${command.file}${code ? ` (${code})` : ''}`);
    }
  }
  return {};
}

async function execute(command: AdminCommand, request: AdminRequest, io: Io): Promise<CommandResult> {
  let config: ReturnType<typeof loadConfigFromProcess>;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) throw new Failure(error.message);
    throw error;
  }
  if (!config.databaseUrl) {
    try {
      const response = await askServer(adminSocketPath(config.dbFile), request);
      if (!response.ok) {
        throw response.usage
          ? new Failure(response.message, 2)
          : new Failure(`${command.name}: ${response.message}`);
      }
      return response;
    } catch (error) {
      if (!(error instanceof NoServerError)) throw error;
    }
  }
  // Loaded only here: a command the running server answers never loads the stores and the mailers.
  const { CannotOpenError, openLocally } = await import('./local.js');
  let local: LocalRun;
  try {
    local = await openLocally(config);
  } catch (error) {
    if (error instanceof CannotOpenError) throw new Failure(error.message);
    throw error;
  }
  let result: CommandResult | undefined;
  try {
    result = await runCommand(local.auth, command, request);
  } finally {
    const { undelivered } = await local.finish();
    if (undelivered > 0 && result) {
      io.stderr.write(`${undelivered} email(s) still queued: the server sends them when it next runs\n`);
    }
  }
  return result;
}

/** Runs the CLI; resolves to its exit status. */
export async function main(io: Io): Promise<number> {
  const parsed = parseAdminArgs(io.argv);
  if (parsed.kind === 'help') {
    io.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`${parsed.message}\n(run npm run admin -- --help)\n`);
    return 2;
  }
  const { command } = parsed;
  try {
    const request: AdminRequest = { argv: [...io.argv], ...(await gatherInput(command, io)) };
    const result = await execute(command, request, io);
    if (command.name === 'export' && result.fileOut !== undefined) {
      // Hashes and addresses: readable by the operator's account only.
      await writeFile(command.file, result.fileOut, { mode: 0o600 }).catch((error: NodeJS.ErrnoException) => {
        throw new Failure(`export: cannot write ${command.file} (${error.code ?? error.message})`);
      });
    }
    io.stdout.write(command.json ? `${JSON.stringify(result.data, null, 2)}\n` : result.text);
    return 0;
  } catch (error) {
    if (error instanceof Failure) {
      io.stderr.write(`${error.message}\n`);
      return error.status;
    }
    if (error instanceof CommandFailed) {
      io.stderr.write(`${command.name}: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(
      `${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

const runAsEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runAsEntry) {
  main({
    argv: process.argv.slice(2),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then((status) => {
    process.exitCode = status;
  });
}
