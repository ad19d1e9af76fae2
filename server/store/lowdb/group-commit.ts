import { StoreUnavailableError } from '../store.js';
import type { StoreChange } from './changes.js';
import { encodeEntry, type JournalFile, JournalWriter } from './journal.js';

type Caller = { changes: readonly StoreChange[]; resolve: () => void; reject: (error: unknown) => void };

/** The journal files not yet folded into a snapshot, handed to a compaction (see rotate). */
export type Rotated = { files: JournalFile[]; bytes: number; previous: JournalWriter | null };

/**
 * Group commit into the journal. Changes are applied in memory by their writer at once; those
 * that arrive while an append is on its way to disk ride together in the next one; each caller is
 * answered when the entry holding its change has been fdatasync'd. A write therefore costs the
 * size of the change, not of the store.
 *
 * Fail-stop: when an append fails the entry may be half on disk, and appending after it would
 * bury a torn line mid-file. Memory then holds changes the disk does not, so every later write is
 * refused with StoreUnavailableError and `onBroken` fires once (server.ts stops the process, and a
 * restart reloads what is durable: exactly what was acknowledged).
 */
export class GroupCommit {
  /** The last sequence number given to a journal entry. */
  seq: number;
  /** Journal bytes not yet folded into a snapshot. */
  bytes: number;
  broken: StoreUnavailableError | null = null;
  private files: JournalFile[];
  private journal: JournalWriter | null = null;
  private waiting: Caller[] = [];
  private writer: Promise<void> | null = null;
  private snapshotPoint: ((seq: number) => void) | null = null;

  constructor(
    private readonly file: string,
    private nextGeneration: number,
    replayed: { files: JournalFile[]; seq: number; bytes: number },
    private readonly onBroken: (error: StoreUnavailableError) => void,
    /** After each durable batch: the compactor decides whether the journal has grown enough. */
    private readonly afterBatch: () => void,
  ) {
    this.files = [...replayed.files];
    this.seq = replayed.seq;
    this.bytes = replayed.bytes;
  }

  /** Resolves once `changes` (already applied in memory) are durable. */
  persist(changes: readonly StoreChange[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ changes, resolve, reject });
      this.writer ??= this.writeLoop();
    });
  }

  /**
   * Calls `take(seq)` between two batches, where memory holds exactly the entries up to `seq`:
   * the one point a snapshot of memory matches the journal.
   */
  atSnapshotPoint(take: (seq: number) => void): Promise<void> {
    this.snapshotPoint = take;
    return this.persist([]);
  }

  /** Hands the journal files so far to a compaction; the next entry starts a new file. */
  rotate(): Rotated {
    const rotated = { files: this.files, bytes: this.bytes, previous: this.journal };
    this.files = [];
    this.bytes = 0;
    this.journal = null;
    return rotated;
  }

  /** Takes back the files of a compaction that failed: a restart replays them, the next one folds them. */
  restore(rotated: Rotated): void {
    this.files = [...rotated.files, ...this.files];
    this.bytes += rotated.bytes;
  }

  /** Resolves when no write is on its way. */
  async drained(): Promise<void> {
    while (this.writer) await this.writer;
  }

  /** Closes the journal file; returns the files that remain (for deletion once folded). */
  async close(): Promise<JournalFile[]> {
    await this.drained();
    await this.journal?.close();
    this.journal = null;
    const files = this.files;
    this.files = [];
    return files;
  }

  private async open(): Promise<JournalWriter> {
    if (this.journal) return this.journal;
    const created = await JournalWriter.create(this.file, this.nextGeneration++);
    this.files.push(created.file);
    this.journal = created;
    return created;
  }

  private async writeLoop(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      if (this.broken) {
        for (const caller of batch) caller.reject(this.broken);
        continue;
      }
      const changes = batch.flatMap((caller) => caller.changes);
      const entry = changes.length > 0 ? encodeEntry({ seq: ++this.seq, changes }) : null;
      const take = this.snapshotPoint;
      this.snapshotPoint = null;
      take?.(this.seq);
      try {
        if (entry) await (await this.open()).append(entry);
        // Nothing to write: an open journal is synced so the caller waits as a writer would.
        else await this.journal?.sync();
        if (entry) this.bytes += Buffer.byteLength(entry, 'utf8');
      } catch (error) {
        this.broken = new StoreUnavailableError(`The store's journal cannot be written: ${String(error)}`, {
          cause: error,
        });
        for (const caller of batch) caller.reject(this.broken);
        this.onBroken(this.broken);
        continue;
      }
      for (const caller of batch) caller.resolve();
      this.afterBatch();
    }
    this.writer = null;
  }
}
