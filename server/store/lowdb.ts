import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Low } from 'lowdb';
import {
  deleteJournalFiles,
  encodeEntry,
  type JournalFile,
  JournalWriter,
  listJournalFiles,
  replayJournal,
} from './journal.js';
import { type FileData, SnapshotFile } from './snapshot.js';
import {
  type MailRecord,
  normaliseKey,
  type Store,
  type StoreChange,
  StoreConflictError,
  type StoreGuard,
  type TokenRecord,
  tokenExpiresAt,
  type UserRecord,
} from './store.js';

export type LowdbStoreOptions = {
  /**
   * The journal is folded into a new snapshot once it holds this many bytes and at least a quarter
   * of the snapshot's size: rare enough that rewriting 40 MB at 100k users is amortised over
   * ~10,000 sign-ups, often enough that a restart replays little.
   */
  compactAfterBytes?: number;
  /**
   * Called once when the journal cannot be written. Memory then holds changes the disk does not,
   * and every later write is refused; the caller should stop the process so a restart reloads
   * what is durable (server.ts does).
   */
  onBroken?: (error: Error) => void;
};

/** The lowdb store; `compact` is for tests and tools, the store compacts on its own. */
export type LowdbStore = Store & {
  /** Writes a snapshot holding every change so far and deletes the journal files it replaces. */
  compact(): Promise<void>;
};

const DEFAULT_COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** Tokens examined between two yields of the sweep: ~1 ms of work each. */
const SWEEP_SLICE = 5000;
/** Expired tokens deleted per commit, so one sweep of 100k tokens is not one 9 MB journal line. */
const SWEEP_BATCH = 1000;

type Caller = { resolve: () => void; reject: (error: unknown) => void };

/**
 * Opens (or creates) the lowdb file and keeps every record in memory behind indexes by id, email,
 * username and token hash, so no request scans anything and token checks never touch the disk.
 *
 * Persistence is a snapshot (the lowdb JSON file, replaced atomically) plus a journal of the
 * changes made since (see journal.ts). Writes use group commit: changes are applied in memory at
 * once; those that arrive while an append is on its way to disk ride together in the next one; each
 * caller is answered when the entry holding its change has been fdatasync'd. A write therefore
 * costs the size of the change, not of the store, and the 40 MB snapshot of a 100k-user store is
 * rewritten only by compaction, in the background, serialised in slices that yield to requests.
 *
 * Throws StoreCorruptError, without touching any file, when the snapshot or an acknowledged
 * journal entry cannot be read.
 */
export async function createLowdbStore(file: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
  const compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  const folder = path.dirname(file);
  await mkdir(folder, { recursive: true });
  const snapshot = new SnapshotFile(file);
  const db = new Low<FileData>(snapshot, { version: 1, users: [], tokens: [], mails: [] });
  await db.read();

  const users = new Map<string, UserRecord>();
  const userIdByEmail = new Map<string, string>();
  const userIdByUsername = new Map<string, string>();
  const tokens = new Map<string, TokenRecord>();
  // Most users hold one token: a bare string for them, a Set from the second on. At 100k users
  // that saves 100k Sets: ~25 ms of start-up and ~10 MB.
  const tokenHashesByUser = new Map<string, string | Set<string>>();
  const mails = new Map<string, MailRecord>();

  const indexUser = (user: UserRecord) => {
    users.set(user.id, user);
    userIdByEmail.set(keyOf(user.email), user.id);
    if (user.username) userIdByUsername.set(keyOf(user.username), user.id);
  };
  const unindexUser = (user: UserRecord) => {
    users.delete(user.id);
    userIdByEmail.delete(keyOf(user.email));
    if (user.username) userIdByUsername.delete(keyOf(user.username));
  };
  const addToken = (token: TokenRecord) => {
    tokens.set(token.hash, token);
    const held = tokenHashesByUser.get(token.userId);
    if (held === undefined || held === token.hash) tokenHashesByUser.set(token.userId, token.hash);
    else if (typeof held === 'string') tokenHashesByUser.set(token.userId, new Set([held, token.hash]));
    else held.add(token.hash);
  };
  const removeToken = (hash: string) => {
    const token = tokens.get(hash);
    if (!token) return;
    tokens.delete(hash);
    const held = tokenHashesByUser.get(token.userId);
    if (held === hash) tokenHashesByUser.delete(token.userId);
    else if (typeof held === 'object') {
      held.delete(hash);
      if (held.size === 0) tokenHashesByUser.delete(token.userId);
    }
  };
  /** A copy: callers delete while they iterate. */
  const tokenHashesOf = (userId: string): string[] => {
    const held = tokenHashesByUser.get(userId);
    return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
  };

  const checkPreconditions = (changes: readonly StoreChange[], guards: readonly StoreGuard[]) => {
    for (const guard of guards) {
      if (guard.type === 'tokenExists' && !tokens.has(guard.hash)) throw new StoreConflictError('token');
      if (guard.type === 'passwordUnchanged' && users.get(guard.userId)?.passwordHash !== guard.passwordHash)
        throw new StoreConflictError('user');
    }
    for (const change of changes) {
      if (change.type !== 'putUser') continue;
      const { user } = change;
      const emailOwner = userIdByEmail.get(keyOf(user.email));
      if (emailOwner !== undefined && emailOwner !== user.id) throw new StoreConflictError('email');
      if (user.username) {
        const usernameOwner = userIdByUsername.get(keyOf(user.username));
        if (usernameOwner !== undefined && usernameOwner !== user.id)
          throw new StoreConflictError('username');
      }
    }
  };

  const apply = (change: StoreChange) => {
    switch (change.type) {
      case 'putUser': {
        const previous = users.get(change.user.id);
        if (previous) unindexUser(previous);
        indexUser(change.user);
        return;
      }
      case 'deleteUser': {
        const previous = users.get(change.userId);
        if (previous) unindexUser(previous);
        for (const hash of tokenHashesOf(change.userId)) removeToken(hash);
        return;
      }
      case 'putToken':
        addToken(change.token);
        return;
      case 'deleteToken':
        removeToken(change.hash);
        return;
      case 'deleteUserTokens': {
        for (const hash of tokenHashesOf(change.userId)) {
          const token = tokens.get(hash);
          if (!token || hash === change.exceptHash) continue;
          if (change.kinds && !change.kinds.includes(token.kind)) continue;
          removeToken(hash);
        }
        return;
      }
      case 'putMail':
        mails.set(change.mail.id, change.mail);
        return;
      case 'deleteMail':
        mails.delete(change.id);
        return;
    }
  };

  for (const user of db.data.users) indexUser(user);
  for (const token of db.data.tokens) addToken(token);
  for (const mail of db.data.mails) mails.set(mail.id, mail);
  /** The last journal entry the snapshot on disk (or being written) holds. */
  let snapshotSeq = db.data.seq ?? 0;
  // The parsed file is indexed now; dropping it halves the memory a 100k-user store needs.
  db.data = { version: 1, users: [], tokens: [], mails: [] };

  let journalFiles: JournalFile[] = await listJournalFiles(file);
  const replayed = await replayJournal(journalFiles, snapshotSeq, apply);
  /** The last sequence number given to a journal entry. */
  let seq = replayed.seq;
  /** Journal bytes not yet folded into a snapshot. */
  let journalBytes = replayed.bytes;
  let nextGeneration = (journalFiles.at(-1)?.generation ?? 0) + 1;
  await removeStaleTempFiles(file);

  // ---- writing: group commit into the journal, compaction into the snapshot ----

  let journal: JournalWriter | null = null;
  let waiting: Array<Caller & { changes: readonly StoreChange[] }> = [];
  let writer: Promise<void> | null = null;
  /** Set after a journal write fails: memory and disk may differ, so no later commit is accepted. */
  let broken: Error | null = null;
  let closed = false;
  let compactionWanted = false;
  let compaction: Promise<void> | null = null;
  let compactionError: unknown = null;

  const openJournal = async (): Promise<JournalWriter> => {
    if (journal) return journal;
    const created = await JournalWriter.create(file, nextGeneration++);
    journalFiles.push(created.file);
    journal = created;
    return created;
  };

  /**
   * Takes the in-memory state as it stands at entry `upTo` and writes it as the new snapshot,
   * then deletes the journal files it replaces. Called between two batches, so memory holds
   * exactly the entries up to `upTo`; the arrays are copies, and records are immutable, so commits
   * carry on while the snapshot is serialised.
   */
  const startCompaction = (upTo: number) => {
    const data: FileData = {
      version: 1,
      seq: upTo,
      users: [...users.values()],
      tokens: [...tokens.values()],
      mails: [...mails.values()],
    };
    const replaced = journalFiles;
    journalFiles = [];
    const previous = journal;
    journal = null; // the next entry opens a new file: the ones before can then be deleted whole
    const bytesAtStart = journalBytes;
    const seqAtStart = snapshotSeq;
    journalBytes = 0;
    snapshotSeq = upTo;
    compaction = (async () => {
      try {
        await previous?.close();
        db.data = data;
        await db.write();
        await deleteJournalFiles(replaced);
        compactionError = null;
      } catch (error) {
        // The journal files stay (a restart replays them) and the next compaction covers them too.
        journalFiles = [...replaced, ...journalFiles];
        journalBytes += bytesAtStart;
        snapshotSeq = seqAtStart;
        compactionError = error;
      } finally {
        db.data = { version: 1, users: [], tokens: [], mails: [] };
        compaction = null;
      }
    })();
  };

  const writeLoop = async () => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      if (broken) {
        for (const caller of batch) caller.reject(broken);
        continue;
      }
      const changes = batch.flatMap((caller) => caller.changes);
      let entry: string | null = null;
      if (changes.length > 0) entry = encodeEntry({ seq: ++seq, changes });
      if (compactionWanted && !compaction) {
        compactionWanted = false;
        startCompaction(seq);
      }
      try {
        if (entry) await (await openJournal()).append(entry);
        // Nothing to write: an open journal is synced so the caller waits as a writer would.
        else await journal?.sync();
        if (entry) journalBytes += Buffer.byteLength(entry, 'utf8');
        for (const caller of batch) caller.resolve();
      } catch (error) {
        // The entry may be half on disk; appending after it would bury a torn line mid-file.
        broken = new Error(`The store's journal cannot be written; restart to recover: ${String(error)}`, {
          cause: error,
        });
        for (const caller of batch) caller.reject(error);
        options.onBroken?.(broken);
        continue;
      }
      if (!compaction && journalBytes >= Math.max(compactAfterBytes, snapshot.bytes / 4)) {
        compactionWanted = true;
      }
    }
    writer = null;
  };

  const persist = (changes: readonly StoreChange[]) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ changes, resolve, reject });
      writer ??= writeLoop();
    });

  const commit = async (changes: readonly StoreChange[], guards: readonly StoreGuard[] = []) => {
    if (closed) throw new Error('The store is closed');
    if (broken) throw broken;
    checkPreconditions(changes, guards);
    for (const change of changes) apply(change);
    await persist(changes);
  };

  const compact = async () => {
    while (compaction) await compaction;
    if (broken) throw broken;
    compactionWanted = true;
    // An empty commit makes the writer take a batch: the point where memory matches the journal.
    await persist([]);
    while (compaction) await compaction;
    if (compactionError) throw compactionError;
  };

  return {
    async findUserById(id) {
      return users.get(id) ?? null;
    },
    async findUserByEmail(email) {
      const id = userIdByEmail.get(keyOf(email));
      return id === undefined ? null : (users.get(id) ?? null);
    },
    async findUserByUsername(username) {
      const id = userIdByUsername.get(keyOf(username));
      return id === undefined ? null : (users.get(id) ?? null);
    },
    async findToken(hash) {
      return tokens.get(hash) ?? null;
    },
    async listUserTokens(userId) {
      return tokenHashesOf(userId).flatMap((hash) => tokens.get(hash) ?? []);
    },
    async listDueMail(now, limit) {
      const due = [...mails.values()]
        .filter((mail) => Date.parse(mail.nextAttempt) <= now.getTime())
        .sort((a, b) => a.created.localeCompare(b.created));
      return due.slice(0, limit);
    },
    commit,
    async sweepExpiredTokens(now) {
      // In slices: at 100k tokens one pass is ~15 ms of Date.parse, enough to delay every request.
      const cutoff = now.getTime();
      const expired: string[] = [];
      let examined = 0;
      for (const token of tokens.values()) {
        if (tokenExpiresAt(token) < cutoff) expired.push(token.hash);
        if (++examined % SWEEP_SLICE === 0) await yieldToLoop();
      }
      let deleted = 0;
      for (let start = 0; start < expired.length; start += SWEEP_BATCH) {
        const changes: StoreChange[] = [];
        for (const hash of expired.slice(start, start + SWEEP_BATCH)) {
          const token = tokens.get(hash);
          if (token && tokenExpiresAt(token) < cutoff) changes.push({ type: 'deleteToken', hash });
        }
        if (changes.length === 0) continue;
        await commit(changes);
        deleted += changes.length;
      }
      return deleted;
    },
    compact,
    async close() {
      if (closed) return;
      closed = true;
      while (writer || compaction) await (writer ?? compaction);
      // A clean stop leaves one self-contained db.json: fold the journal in when there is one.
      if (!broken && seq > snapshotSeq) await compact().catch(() => undefined);
      await journal?.close();
      journal = null;
      // If that compaction failed the journal stays and the next start replays it: nothing is lost.
      if (!broken && seq === snapshotSeq) {
        await deleteJournalFiles(journalFiles);
        journalFiles = [];
      }
    },
  };
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * normaliseKey, with a shortcut: NFC leaves printable ASCII as it is, and skipping `normalize`
 * for it (nearly every address) halves the time to index 100k users at start.
 */
function keyOf(value: string): string {
  return PRINTABLE_ASCII.test(value) ? value.toLowerCase() : normaliseKey(value);
}

/** Temp files of snapshots whose writer died before the rename: never the live file, safe to drop. */
async function removeStaleTempFiles(file: string): Promise<void> {
  const base = path.basename(file);
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.\\d+\\.tmp$`);
  const names = await readdir(path.dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    if (pattern.test(name)) await unlink(path.join(path.dirname(file), name)).catch(() => undefined);
  }
}
