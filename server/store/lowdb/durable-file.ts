import { type FileHandle, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * The few file operations durability rests on. The crash model: a write is durable once its
 * bytes are fdatasync'd AND the name that reaches them is in a folder that was fsync'd; a rename
 * is atomic, so a reader sees the old file or the new one, never half of either.
 */

/** Writes all of `text`; a file write may take fewer bytes than asked (a full disk, a signal). */
export async function writeAll(handle: FileHandle, text: string | Buffer): Promise<void> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** Makes a rename or a new file's name durable: the entry lives in the folder, not in the file. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tempFiles = 0;

/**
 * Replaces `file` atomically with what `fill` writes: a temp file beside it (named so
 * removeStaleTempFiles recognises it), fsync, rename, fsync of the folder. On any failure the
 * temp file is removed and `file` is as it was.
 */
export async function replaceFile(file: string, fill: (handle: FileHandle) => Promise<void>): Promise<void> {
  const temp = `${file}.${process.pid}.${++tempFiles}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await fill(handle);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(file));
}

/** Temp files of snapshots whose writer died before the rename: never the live file, safe to drop. */
export async function removeStaleTempFiles(file: string): Promise<void> {
  const base = path.basename(file);
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.\\d+\\.tmp$`);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    if (pattern.test(name)) await unlink(path.join(path.dirname(file), name)).catch(() => undefined);
  }
}
