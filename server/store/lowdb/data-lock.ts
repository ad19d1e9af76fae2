import { open, readFile, unlink } from 'node:fs/promises';

/**
 * The data lock (issue 9.1): one process owns DB_FILE. Without it a second server on the same
 * folder replays, compacts and deletes the first one's live journal, and acknowledged writes
 * are lost with no error anywhere.
 *
 * The lock is a file beside DB_FILE (`db.json.lock`) holding the owner's PID, created with
 * O_EXCL ('wx') so exactly one of two racing starters gets it. A lock whose PID is not a live
 * process (a crash, `kill -9`) is stale and is taken over — under a second O_EXCL file
 * (`db.json.lock.takeover`), so two starters that both find it stale cannot both take it.
 */

/** Another live process holds the data: the start must stop, naming the file and the PID. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(
      `${file} is in use by process ${pid} (lock file ${file}.lock); stop it first or use another DB_FILE`,
    );
  }
}

/** A held lock: `release` deletes the lock file (only if it is still ours). */
export type DataLock = { readonly path: string; release(): Promise<void> };

/** Locks held by this process: opening the same file twice in one process is refused too. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function create(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The PID a lock file names, or null when it names none (empty: its writer died mid-write). */
async function ownerOf(path: string): Promise<number | null | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Takes the lock on `file` or throws StoreLockedError. A lock naming this very PID but not held
 * by this process is stale too (a container restarts its server as the same PID).
 */
export async function acquireDataLock(file: string): Promise<DataLock> {
  const path = `${file}.lock`;
  if (heldHere.has(path)) throw new StoreLockedError(file, process.pid);
  // Reserved before the first await, so two opens racing in this process cannot both proceed.
  heldHere.add(path);
  try {
    return await take(file, path);
  } catch (error) {
    heldHere.delete(path);
    throw error;
  }
}

async function take(file: string, path: string): Promise<DataLock> {
  const takeover = `${path}.takeover`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(path)) return held(path);
    const owner = await ownerOf(path);
    if (owner === 'gone') continue;
    if (owner !== null && owner !== process.pid && isAlive(owner)) throw new StoreLockedError(file, owner);
    // Stale. Only the starter that creates the takeover file may replace it.
    if (!(await create(takeover))) {
      const other = await ownerOf(takeover);
      if (typeof other === 'number' && other !== process.pid && isAlive(other))
        throw new StoreLockedError(file, other);
      await unlink(takeover).catch(() => undefined); // left by a starter that died mid-takeover
      continue;
    }
    try {
      if ((await ownerOf(path)) === owner) await unlink(path).catch(() => undefined);
      if (await create(path)) return held(path);
    } finally {
      await unlink(takeover).catch(() => undefined);
    }
  }
  const owner = await ownerOf(path);
  throw new StoreLockedError(file, typeof owner === 'number' ? owner : 0);
}

function held(path: string): DataLock {
  return {
    path,
    async release() {
      if (!heldHere.delete(path)) return;
      if ((await ownerOf(path)) === process.pid) await unlink(path).catch(() => undefined);
    },
  };
}
