import { type FileHandle, open, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StoreCorruptError } from '../store.js';
import type { StoreChange } from './changes.js';
import { syncFolder, writeAll } from './durable-file.js';
import {
  activityProblem,
  identityProblem,
  mailProblem,
  passkeyProblem,
  tokenProblem,
  userProblem,
} from './records.js';

/**
 * The journal: after the snapshot, every group commit is one line `{"seq":N,"changes":[…]}\n`
 * appended and fdatasync'd before any of its callers is answered. A write then costs the size of
 * its change, not the size of the store.
 *
 * The journal lives in numbered files next to the snapshot (`db.json.journal.1`, `.2` …). A process
 * only ever appends to a file it created itself, so a line torn by a crash is always the last line
 * of its file, and a restart (or a compaction) starts the next number instead of appending after it.
 */

/** One journal file on disk, by number. */
export type JournalFile = { generation: number; path: string };

/** One line of the journal: a group commit's changes and its place in the sequence (1, 2, 3 …). */
export type JournalEntry = { seq: number; changes: StoreChange[] };

/** The journal files of `snapshotFile`, oldest first. */
export async function listJournalFiles(snapshotFile: string): Promise<JournalFile[]> {
  const folder = path.dirname(snapshotFile);
  const prefix = `${path.basename(snapshotFile)}.journal.`;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => ({ generation: Number(name.slice(prefix.length)), path: path.join(folder, name) }))
    .sort((a, b) => a.generation - b.generation);
}

/** Where journal file number `generation` of `snapshotFile` lives: beside it, in the same folder. */
export function journalPath(snapshotFile: string, generation: number): string {
  return `${snapshotFile}.journal.${generation}`;
}

/** An entry as the line appended to the journal, newline included. */
export function encodeEntry(entry: JournalEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** Why a change read back from the journal cannot be one, or null when it looks right. */
function changeProblem(value: unknown): string | null {
  const change = value as Record<string, unknown> | null;
  if (typeof change !== 'object' || change === null) return 'a change is not an object';
  const isString = (key: string) => typeof change[key] === 'string';
  const isId = (key: string) => Number.isSafeInteger(change[key]) && (change[key] as number) >= 1;
  switch (change.type) {
    case 'putUser':
      return userProblem(change.user);
    case 'putToken':
      return tokenProblem(change.token);
    case 'putMail':
      return mailProblem(change.mail);
    case 'deleteUser':
    case 'deleteUserTokens':
      return isId('userId') ? null : `${change.type} lacks userId`;
    case 'deleteToken':
      return isString('hash') ? null : 'deleteToken lacks hash';
    case 'deleteMail':
      return isId('id') ? null : 'deleteMail lacks id';
    case 'putPasskey':
      return passkeyProblem(change.passkey);
    case 'deletePasskey':
      return isString('credentialId') ? null : 'deletePasskey lacks credentialId';
    case 'putIdentity':
      return identityProblem(change.identity);
    case 'deleteIdentity':
      return isString('issuer') && isString('subject') ? null : 'deleteIdentity lacks issuer or subject';
    case 'putActivity':
      return activityProblem(change.entry);
    case 'deleteActivity':
      return isId('id') ? null : 'deleteActivity lacks id';
    case 'advanceUserId':
      return isId('next') ? null : 'advanceUserId lacks next';
    default:
      return `unknown change ${String(change.type)}`;
  }
}

function parseEntry(line: string): JournalEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  const entry = value as Partial<JournalEntry> | null;
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  if (!Number.isSafeInteger(entry.seq) || (entry.seq as number) < 1)
    return '"seq" is not a positive whole number';
  if (!Array.isArray(entry.changes)) return '"changes" is not a list';
  for (const change of entry.changes) {
    const problem = changeProblem(change);
    if (problem) return problem;
  }
  return entry as JournalEntry;
}

/**
 * Reads every journal file and hands each entry after `afterSeq` to `apply`, in order. Returns the
 * last sequence number applied and the bytes those entries take (for the compaction threshold).
 *
 * - The last line of a file that does not parse is a write torn by a crash: its callers were never
 *   answered (they wait for the fdatasync), so it is skipped.
 * - Any other line that does not parse, or a sequence number out of order (a lost or repeated
 *   entry), means the journal cannot be trusted: StoreCorruptError, and no file is touched.
 * - Entries at or before `afterSeq` are already in the snapshot (a compaction finished its
 *   snapshot but not the deletion of the old journal files): skipped, never applied twice.
 */
export async function replayJournal(
  files: readonly JournalFile[],
  afterSeq: number,
  apply: (change: StoreChange) => void,
): Promise<{ seq: number; bytes: number }> {
  let seq = afterSeq;
  let bytes = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (error) {
      throw new StoreCorruptError(`Cannot read ${file.path}: ${(error as Error).message}`);
    }
    const lines = text.split('\n');
    // A file that ends in a newline splits into one empty string after its last line.
    const lastLine = text.endsWith('\n') ? lines.length - 2 : lines.length - 1;
    for (let index = 0; index <= lastLine; index++) {
      const line = lines[index] ?? '';
      const entry = parseEntry(line);
      const where = `${file.path} line ${index + 1}`;
      if (typeof entry === 'string') {
        if (index === lastLine) continue; // torn by a crash, never acknowledged
        throw corrupt(`${where} is corrupt: ${entry}`);
      }
      if (entry.seq <= afterSeq) continue;
      if (entry.seq !== seq + 1)
        throw corrupt(`${where} holds entry ${entry.seq} where ${seq + 1} was expected`);
      for (const change of entry.changes) apply(change);
      seq = entry.seq;
      bytes += Buffer.byteLength(line, 'utf8') + 1;
    }
  }
  return { seq, bytes };
}

function corrupt(why: string): StoreCorruptError {
  return new StoreCorruptError(
    `${why}. The store's files were left untouched: restore them from a backup or move them away.`,
  );
}

/** An open journal file this process appends to. */
export class JournalWriter {
  private constructor(
    readonly file: JournalFile,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Creates journal file number `generation` (refusing to reuse an existing one) and makes its
   * name durable, so entries fdatasync'd into it survive a power cut.
   */
  static async create(snapshotFile: string, generation: number): Promise<JournalWriter> {
    const file = { generation, path: journalPath(snapshotFile, generation) };
    const handle = await open(file.path, 'ax', 0o600);
    try {
      await syncFolder(path.dirname(file.path));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new JournalWriter(file, handle);
  }

  /** Appends one entry and waits until it is on disk. */
  async append(text: string): Promise<void> {
    await writeAll(this.handle, text);
    await this.handle.datasync();
  }

  /** The same disk wait as an append, for a commit with nothing to write. */
  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Deletes journal files whose every entry is in the snapshot. */
export async function deleteJournalFiles(files: readonly JournalFile[]): Promise<void> {
  for (const file of files) await unlink(file.path).catch(() => undefined);
}
