import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { type MailRecord, StoreCorruptError, type TokenRecord, type UserRecord } from './store.js';

/**
 * The snapshot file's shape: the lowdb JSON file a person opens. `version` lets a later release
 * migrate old files instead of misreading them; `seq` is the last journal entry the snapshot
 * already holds (absent in files written before the journal existed, which means 0).
 */
export type FileData = {
  version: 1;
  seq?: number;
  users: UserRecord[];
  tokens: TokenRecord[];
  mails: MailRecord[];
};

// ~2,000 small records stringify in 2–4 ms: short enough that a request waiting behind one
// slice does not notice, long enough that a 100k-user snapshot is ~100 writes, not 200,000.
const RECORDS_PER_SLICE = 2000;

/** Writes all of `text`; a file write may take fewer bytes than asked (a full disk, a signal). */
export async function writeAll(handle: import('node:fs/promises').FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
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

/**
 * A lowdb adapter for the snapshot. Reads refuse anything that is not a store (StoreCorruptError,
 * file untouched). Writes replace the file atomically (temp file, fsync, rename, fsync of the
 * folder) and serialise in slices with an await between them, so a 100k-user snapshot never
 * holds the event loop for a whole `JSON.stringify`. Records are immutable, so the arrays handed
 * to `write` can be serialised slice by slice while new commits carry on in memory.
 */
export class SnapshotFile implements Adapter<FileData> {
  private writes = 0;
  /** Size in bytes of the file as last read or written: the compaction threshold scales with it. */
  bytes = 0;

  constructor(readonly file: string) {}

  async read(): Promise<FileData | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreCorruptError(`Cannot read ${this.file}: ${(error as Error).message}`);
    }
    this.bytes = Buffer.byteLength(text, 'utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new StoreCorruptError(
        `${this.file} is not valid JSON (${(error as Error).message}). It was left untouched: restore it from a backup or move it away.`,
      );
    }
    checkSnapshot(this.file, data);
    return data;
  }

  async write(data: FileData): Promise<void> {
    const temp = `${this.file}.${process.pid}.${++this.writes}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    let bytes = 0;
    const put = async (text: string) => {
      bytes += Buffer.byteLength(text, 'utf8');
      await writeAll(handle, text);
    };
    try {
      await put(`{"version":${data.version},"seq":${data.seq ?? 0}`);
      for (const section of ['users', 'tokens', 'mails'] as const) {
        await put(`,"${section}":[`);
        const records: readonly object[] = data[section];
        for (let start = 0; start < records.length; start += RECORDS_PER_SLICE) {
          const slice = records
            .slice(start, start + RECORDS_PER_SLICE)
            .map((record) => JSON.stringify(record));
          await put((start > 0 ? ',' : '') + slice.join(','));
        }
        await put(']');
      }
      await put('}\n');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(temp, this.file);
    await syncFolder(path.dirname(this.file));
    this.bytes = bytes;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isInstant = (value: unknown) => isString(value) && !Number.isNaN(Date.parse(value));

type FieldCheck = (value: unknown) => boolean;

// Hand-written rather than zod: 200k records must check in milliseconds at start. Every field the
// code reads is checked, so a damaged record is a clear StoreCorruptError, never a TypeError later
// (or a token whose NaN expiry never comes).
const userFields: Record<keyof UserRecord, FieldCheck> = {
  id: isString,
  email: isString,
  username: (value) => value === null || isString(value),
  passwordHash: isString,
  emailVerified: (value) => typeof value === 'boolean',
  created: isInstant,
  passwordChanged: isInstant,
};
const tokenFields: Record<keyof TokenRecord, FieldCheck> = {
  hash: isString,
  userId: isString,
  kind: (value) => value === 'access' || value === 'reset' || value === 'verify',
  created: isInstant,
  ttl: (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
};
const mailFields: Record<keyof MailRecord, FieldCheck> = {
  id: isString,
  kind: (value) => value === 'verify' || value === 'reset' || value === 'signup-attempt',
  to: isString,
  sealedLink: isString,
  created: isInstant,
  attempts: (value) => Number.isSafeInteger(value),
  nextAttempt: isInstant,
  lastError: (value) => value === null || isString(value),
};

function recordProblem(what: string, fields: Record<string, FieldCheck>, value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `a ${what} is not an object`;
  const record = value as Record<string, unknown>;
  for (const [field, check] of Object.entries(fields)) {
    if (!check(record[field])) return `a ${what} has a missing or malformed "${field}"`;
  }
  return null;
}

/** Why a user record cannot be one, or null when it looks right. */
export const userProblem = (value: unknown) => recordProblem('user', userFields, value);
/** Why a token record cannot be one, or null when it looks right. */
export const tokenProblem = (value: unknown) => recordProblem('token', tokenFields, value);
/** Why a mail record cannot be one, or null when it looks right. */
export const mailProblem = (value: unknown) => recordProblem('mail', mailFields, value);

function checkSnapshot(file: string, data: unknown): asserts data is FileData {
  const fail = (why: string): never => {
    throw new StoreCorruptError(`${file} is not a user store (${why}). It was left untouched.`);
  };
  if (typeof data !== 'object' || data === null) fail('not an object');
  const candidate = data as Record<string, unknown>;
  if (candidate.version !== 1) fail(`unknown version ${String(candidate.version)}`);
  if (candidate.seq !== undefined && !(Number.isSafeInteger(candidate.seq) && (candidate.seq as number) >= 0))
    fail('"seq" is not a whole number');
  for (const section of ['users', 'tokens', 'mails']) {
    if (!Array.isArray(candidate[section])) fail(`"${section}" is not a list`);
  }
  const checks: Array<[string, (value: unknown) => string | null]> = [
    ['users', userProblem],
    ['tokens', tokenProblem],
    ['mails', mailProblem],
  ];
  for (const [section, problemOf] of checks) {
    for (const record of candidate[section] as unknown[]) {
      const problem = problemOf(record);
      if (problem) fail(problem);
    }
  }
}
