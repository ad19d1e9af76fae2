import type { FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import {
  type ActivityRecord,
  type IdentityRecord,
  type MailRecord,
  type PasskeyRecord,
  StoreCorruptError,
  type TokenRecord,
  type UserRecord,
} from '../store.js';
import { replaceFile, writeAll } from './durable-file.js';
import { type MigrationKeys, migrateV1, v1Problem } from './migrate-v1.js';
import {
  activityProblem,
  identityProblem,
  mailProblem,
  passkeyProblem,
  tokenProblem,
  userProblem,
} from './records.js';

/**
 * The snapshot file's shape: the lowdb JSON file a person opens (DB_FILE). `version` lets a later
 * release migrate old files instead of misreading them; `seq` is the last journal entry the
 * snapshot already holds; `nextUserId`/`nextMailId` keep ids from being reused after a delete.
 */
export type SnapshotData = {
  version: 2;
  seq: number;
  nextUserId: number;
  nextMailId: number;
  users: UserRecord[];
  tokens: TokenRecord[];
  mails: MailRecord[];
  // Stage B (issues 14, 16, 17). A file written before them has none of these: read as empty.
  nextActivityId: number;
  passkeys: PasskeyRecord[];
  identities: IdentityRecord[];
  activity: ActivityRecord[];
};

/** The sections a Stage A version-2 file lacks, and what they are when absent. */
const LATER_SECTIONS = { nextActivityId: 1, passkeys: [], identities: [], activity: [] } as const;

/** What was read: the data, its size on disk, and whether it came from a version-1 file. */
export type SnapshotRead = { data: SnapshotData; bytes: number; migratedFrom: 1 | null };

// ~2,000 small records stringify in 2–4 ms: short enough that a request waiting behind one
// slice does not notice, long enough that a 100k-user snapshot is ~100 writes, not 200,000.
const RECORDS_PER_SLICE = 2000;

/** An empty store's snapshot. */
export function emptySnapshot(): SnapshotData {
  return {
    version: 2,
    seq: 0,
    nextUserId: 1,
    nextMailId: 1,
    users: [],
    tokens: [],
    mails: [],
    nextActivityId: 1,
    passkeys: [],
    identities: [],
    activity: [],
  };
}

/**
 * Reads DB_FILE, or null when there is none. Anything that is not a store is refused with
 * StoreCorruptError and the file is left untouched. A version-1 file is migrated in memory
 * (migrate-v1.ts); the caller writes it back.
 */
export async function readSnapshot(file: string, keys: MigrationKeys): Promise<SnapshotRead | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StoreCorruptError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(
      `${file} is not valid JSON (${(error as Error).message}). It was left untouched: restore it from a backup or move it away.`,
    );
  }
  const fail = (why: string): never => {
    throw new StoreCorruptError(`${file} is not a user store (${why}). It was left untouched.`);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('not an object');
  const candidate = data as Record<string, unknown>;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (candidate.version === 1) {
    const problem = v1Problem(candidate);
    if (problem) fail(problem);
    const migrated = migrateV1(candidate as Parameters<typeof migrateV1>[0], keys);
    const snapshot: SnapshotData = {
      ...emptySnapshot(),
      ...migrated,
      nextUserId: migrated.users.length + 1,
      nextMailId: migrated.mails.length + 1,
    };
    return { data: snapshot, bytes, migratedFrom: 1 };
  }
  if (candidate.version !== 2) fail(`unknown version ${String(candidate.version)}`);
  for (const [section, empty] of Object.entries(LATER_SECTIONS))
    if (candidate[section] === undefined) candidate[section] = empty;
  for (const counter of ['seq', 'nextUserId', 'nextMailId', 'nextActivityId']) {
    const value = candidate[counter];
    if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`"${counter}" is not a whole number`);
  }
  const checks: Array<[string, (value: unknown) => string | null]> = [
    ['users', userProblem],
    ['tokens', tokenProblem],
    ['mails', mailProblem],
    ['passkeys', passkeyProblem],
    ['identities', identityProblem],
    ['activity', activityProblem],
  ];
  for (const [section, problemOf] of checks) {
    const records = candidate[section];
    if (!Array.isArray(records)) return fail(`"${section}" is not a list`);
    for (const record of records as unknown[]) {
      const problem = problemOf(record);
      if (problem) fail(problem);
    }
  }
  return { data: data as SnapshotData, bytes, migratedFrom: null };
}

/**
 * Writes a snapshot, replacing the file atomically (durable-file.ts), serialised in slices with
 * an await between them so a 100k-user snapshot never holds the event loop for a whole
 * `JSON.stringify`. Records are immutable, so the arrays can be serialised slice by slice while
 * new writes carry on in memory. Resolves to the bytes written.
 */
export async function writeSnapshot(file: string, data: SnapshotData): Promise<number> {
  let bytes = 0;
  await replaceFile(file, async (handle: FileHandle) => {
    const put = async (text: string) => {
      bytes += Buffer.byteLength(text, 'utf8');
      await writeAll(handle, text);
    };
    await put(
      `{"version":2,"seq":${data.seq},"nextUserId":${data.nextUserId},"nextMailId":${data.nextMailId},"nextActivityId":${data.nextActivityId}`,
    );
    for (const section of ['users', 'tokens', 'mails', 'passkeys', 'identities', 'activity'] as const) {
      await put(`,"${section}":[`);
      const records: readonly object[] = data[section];
      for (let start = 0; start < records.length; start += RECORDS_PER_SLICE) {
        const slice = records.slice(start, start + RECORDS_PER_SLICE).map((record) => JSON.stringify(record));
        await put((start > 0 ? ',' : '') + slice.join(','));
      }
      await put(']');
    }
    await put('}\n');
  });
  return bytes;
}

/**
 * Writes a new DB_FILE holding these records, as the store itself would (the bench seeds
 * through it rather than a second copy of the format). Counters follow the highest ids.
 */
export async function writeSnapshotFile(
  file: string,
  records: Pick<SnapshotData, 'users' | 'tokens' | 'mails'> &
    Partial<Pick<SnapshotData, 'passkeys' | 'identities' | 'activity'>>,
): Promise<void> {
  const highest = (ids: number[]) => ids.reduce((max, id) => (id > max ? id : max), 0);
  await writeSnapshot(file, {
    ...emptySnapshot(),
    ...records,
    nextUserId: highest(records.users.map((user) => user.id)) + 1,
    nextMailId: highest(records.mails.map((mail) => mail.id)) + 1,
    nextActivityId: highest((records.activity ?? []).map((entry) => entry.id)) + 1,
  });
}

/** The snapshot as a lowdb adapter, for tools that open DB_FILE with lowdb's `Low`. */
export class SnapshotFile implements Adapter<SnapshotData> {
  constructor(
    readonly file: string,
    private readonly keys: MigrationKeys,
  ) {}

  async read(): Promise<SnapshotData | null> {
    return (await readSnapshot(this.file, this.keys))?.data ?? null;
  }

  async write(data: SnapshotData): Promise<void> {
    await writeSnapshot(this.file, data);
  }
}
