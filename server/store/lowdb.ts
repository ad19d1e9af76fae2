import { copyFile, constants as fsConstants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type CompactionTiming, Compactor, DEFAULT_TIMING } from './lowdb/compaction.js';
import { acquireDataLock, type DataLock } from './lowdb/data-lock.js';
import { removeStaleTempFiles } from './lowdb/durable-file.js';
import { GroupCommit } from './lowdb/group-commit.js';
import { StoreIndexes } from './lowdb/indexes.js';
import { deleteJournalFiles, listJournalFiles, replayJournal } from './lowdb/journal.js';
import type { MigrationKeys } from './lowdb/migrate-v1.js';
import { createStoreOperations } from './lowdb/operations.js';
import { emptySnapshot, readSnapshot } from './lowdb/snapshot.js';
import { type FeatureStore, type Store, StoreCorruptError, type StoreUnavailableError } from './store.js';

export { StoreLockedError } from './lowdb/data-lock.js';
export { writeSnapshotFile } from './lowdb/snapshot.js';

/** Options of the lowdb store; every one has a default fit for `npm start`. */
export type LowdbStoreOptions = Partial<CompactionTiming> & {
  /**
   * Called once when the journal cannot be written. Memory then holds changes the disk does not,
   * and every later write is refused; the caller should stop the process so a restart reloads
   * what is durable (server.ts does).
   */
  onBroken?: (error: StoreUnavailableError) => void;
  /** Called when a background compaction fails (the journal keeps every change; server.ts logs it). */
  onCompactionError?: (error: unknown) => void;
  /** The domain's key rule, for migrating a version-1 file (default: NFC + lower case). */
  migrationKeys?: MigrationKeys;
};

/** The lowdb store; `compact` is for tests and tools, the store compacts on its own. */
export type LowdbStore = Store &
  FeatureStore & {
    /** Writes a snapshot holding every change so far and deletes the journal files it replaces. */
    compact(): Promise<void>;
    /** Resolves once no write and no background compaction is under way (tests and tools). */
    settled(): Promise<void>;
  };

/** Version 1's own key rule (NFC + lower case): the default when the caller gives none. */
const legacyKey = (value: string) => value.normalize('NFC').toLowerCase();
const LEGACY_KEYS: MigrationKeys = { emailKey: legacyKey, usernameKey: legacyKey };

/**
 * Opens (or creates) the lowdb store on `file` (DB_FILE): every record in memory behind indexes
 * (lowdb/indexes.ts), persisted as a snapshot — the JSON file a person opens, replaced atomically
 * and kept current in the background (lowdb/compaction.ts) — plus a journal of the changes made
 * since (lowdb/journal.ts, lowdb/group-commit.ts). The data lock (lowdb/data-lock.ts) makes this
 * process the file's only user.
 *
 * DB_FILE exists from the first start (an empty, valid snapshot). Throws StoreLockedError when
 * another live process holds the data, and StoreCorruptError, without touching any file, when the
 * snapshot or an acknowledged journal entry cannot be read.
 */
export async function createLowdbStore(file: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
  const timing: CompactionTiming = { ...DEFAULT_TIMING, ...definedOnly(options) };
  await mkdir(path.dirname(file), { recursive: true });
  const lock = await acquireDataLock(file);
  try {
    return await openLocked(file, options, timing, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openLocked(
  file: string,
  options: LowdbStoreOptions,
  timing: CompactionTiming,
  lock: DataLock,
): Promise<LowdbStore> {
  const read = await readSnapshot(file, options.migrationKeys ?? LEGACY_KEYS);
  const journalFiles = await listJournalFiles(file);
  if (read?.migratedFrom === 1 && journalFiles.length > 0) {
    throw new StoreCorruptError(
      `${file} was written by an earlier version and its journal files are still beside it. Start the earlier version once and stop it cleanly (it folds the journal into ${path.basename(file)}), then start this one. Nothing was changed.`,
    );
  }
  const data = read?.data ?? emptySnapshot();
  const indexes = new StoreIndexes();
  for (const user of data.users) indexes.apply({ type: 'putUser', user });
  for (const token of data.tokens) indexes.apply({ type: 'putToken', token });
  for (const mail of data.mails) indexes.apply({ type: 'putMail', mail });
  for (const passkey of data.passkeys) indexes.apply({ type: 'putPasskey', passkey });
  for (const identity of data.identities) indexes.apply({ type: 'putIdentity', identity });
  for (const entry of data.activity) indexes.apply({ type: 'putActivity', entry });
  indexes.features.nextActivityId = Math.max(indexes.features.nextActivityId, data.nextActivityId);
  indexes.nextUserId = Math.max(indexes.nextUserId, data.nextUserId);
  indexes.nextMailId = Math.max(indexes.nextMailId, data.nextMailId);
  const replayed = await replayJournal(journalFiles, data.seq, (change) => indexes.apply(change));
  // The data lock says the process that claimed these is gone: its claims die with it, and what
  // it was sending is due again now rather than when its lease would have lapsed.
  for (const mail of [...indexes.mails.values()]) {
    if (mail.claim !== null)
      indexes.apply({ type: 'putMail', mail: { ...mail, claim: null, claimedUntil: null } });
  }
  await removeStaleTempFiles(file);
  if (read?.migratedFrom === 1) {
    // The old file stays beside the new one until a person removes it: a migration is undoable.
    await copyFile(file, `${file}.v1-backup`, fsConstants.COPYFILE_EXCL).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
  }

  let closed = false;
  const journal: GroupCommit = new GroupCommit(
    file,
    (journalFiles.at(-1)?.generation ?? 0) + 1,
    { files: journalFiles, seq: replayed.seq, bytes: replayed.bytes },
    (error) => options.onBroken?.(error),
    () => compactor.noteBatch(),
  );
  const compactor: Compactor = new Compactor(
    file,
    indexes,
    () => journal,
    timing,
    (error) => options.onCompactionError?.(error),
    read?.bytes ?? 0,
    data.seq,
  );
  const operations = createStoreOperations(indexes, {
    admit() {
      if (closed) throw new Error('The store is closed');
      if (journal.broken) throw journal.broken;
    },
    persist: (changes) => journal.persist(changes),
  });
  // DB_FILE exists (and is in the current format) before the first request.
  if (!read || read.migratedFrom !== null) await compactor.compactNow();

  return {
    ...operations,
    async compact() {
      if (journal.broken) throw journal.broken;
      await compactor.compactNow();
    },
    async settled() {
      await journal.drained();
      await compactor.idle();
    },
    async close() {
      if (closed) return;
      closed = true;
      compactor.stop();
      await journal.drained();
      await compactor.idle();
      // A clean stop leaves one self-contained db.json: fold the journal in when there is one.
      if (!journal.broken && journal.seq > compactor.snapshotSeq)
        await compactor.compactNow().catch(() => undefined);
      const remaining = await journal.close();
      // If that compaction failed the journal stays and the next start replays it: nothing is lost.
      if (!journal.broken && journal.seq === compactor.snapshotSeq) await deleteJournalFiles(remaining);
      await lock.release();
    },
  };
}

function definedOnly(options: LowdbStoreOptions): Partial<CompactionTiming> {
  const picked: Partial<CompactionTiming> = {};
  for (const key of ['quietMs', 'maxStaleMs', 'minIntervalMs', 'compactAfterBytes'] as const) {
    const value = options[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
