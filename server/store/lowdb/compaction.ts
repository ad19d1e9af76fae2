import type { GroupCommit, Rotated } from './group-commit.js';
import type { StoreIndexes } from './indexes.js';
import { deleteJournalFiles } from './journal.js';
import { type SnapshotData, writeSnapshot } from './snapshot.js';

/** When the snapshot (DB_FILE) is rewritten. All in ms except the byte threshold. */
export type CompactionTiming = {
  /** Writes quiet for this long: DB_FILE is brought up to date (issue 9.2: "within seconds"). */
  quietMs: number;
  /** Under steady writes, DB_FILE is still brought up to date this long after it fell behind. */
  maxStaleMs: number;
  /** Never two rewrites closer than this (a 100k-user snapshot is ~40 MB). */
  minIntervalMs: number;
  /**
   * The journal is folded in at once when it holds this many bytes and at least a quarter of the
   * snapshot's size, so a restart replays little.
   */
  compactAfterBytes: number;
};

/** Defaults: current within ~1 s of quiet, ~10 s under load, at most one rewrite per 5 s. */
export const DEFAULT_TIMING: CompactionTiming = {
  quietMs: 1000,
  maxStaleMs: 10_000,
  minIntervalMs: 5000,
  compactAfterBytes: 4 * 1024 * 1024,
};

/**
 * Rewrites are spaced by at least this many times the last one's duration, so they take at most
 * ~2 % of a core: at 100k users a rewrite is ~0.5 s of CPU, and under steady writes (a token's
 * last use is one, at most once a minute per token) one every 10 s took ~5 % of the event loop
 * (issue 15's /api/users/me profile at 100k). Small stores rewrite in milliseconds: unchanged.
 */
const DUTY_FACTOR = 50;

/**
 * Compaction: writes memory as the new snapshot and deletes the journal files it replaces, in
 * the background. The arrays are copies and records are immutable, so writes carry on while the
 * snapshot is serialised; a failure keeps the journal files (a restart replays them, the next
 * compaction folds them) and is reported to `onError` (logged by server.ts).
 */
export class Compactor {
  /** The last journal entry the snapshot on disk (or being written) holds. */
  snapshotSeq: number;
  private running: Promise<void> | null = null;
  private lastError: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = 0;
  private behindSince: number | null = null;
  private lastStart = 0;
  private lastDurationMs = 0;
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly indexes: StoreIndexes,
    private readonly journal: () => GroupCommit,
    private readonly timing: CompactionTiming,
    private readonly onError: (error: unknown) => void,
    private snapshotBytes: number,
    seq: number,
  ) {
    this.snapshotSeq = seq;
  }

  /** After each durable batch: fold in at once when the journal is big, else schedule. */
  noteBatch(): void {
    const now = Date.now();
    this.lastWrite = now;
    this.behindSince ??= now;
    const journal = this.journal();
    if (!this.running && journal.bytes >= Math.max(this.timing.compactAfterBytes, this.snapshotBytes / 4)) {
      void this.start().catch(() => undefined);
      return;
    }
    this.schedule();
  }

  /** Brings DB_FILE up to date now; rejects with the compaction's error. */
  async compactNow(): Promise<void> {
    while (this.running) await this.running;
    await this.start();
    if (this.lastError) throw this.lastError;
  }

  /** Waits for a compaction under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No more scheduled compactions (close calls compactNow itself). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    const now = Date.now();
    const behind = this.behindSince ?? now;
    const due = Math.max(
      Math.min(this.lastWrite + this.timing.quietMs, behind + this.timing.maxStaleMs),
      this.lastStart + this.minInterval(),
    );
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - now));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.running) {
      this.schedule();
      return;
    }
    if (this.journal().seq <= this.snapshotSeq) {
      this.behindSince = null;
      return;
    }
    const now = Date.now();
    const quiet = now - this.lastWrite >= this.timing.quietMs;
    const stale = this.behindSince !== null && now - this.behindSince >= this.timing.maxStaleMs;
    if ((!quiet && !stale) || now - this.lastStart < this.minInterval()) {
      this.schedule();
      return;
    }
    void this.start().catch(() => undefined);
  }

  private minInterval(): number {
    return Math.max(this.timing.minIntervalMs, this.lastDurationMs * DUTY_FACTOR);
  }

  private start(): Promise<void> {
    // Never two at once: an older snapshot renamed after a newer one would outlive the journal
    // files the newer one deleted. One started meanwhile snapshots a later point: it serves too.
    if (this.running) return this.running;
    const journal = this.journal();
    this.lastStart = Date.now();
    const taken: { data?: SnapshotData; rotated?: Rotated } = {};
    let previousSeq = this.snapshotSeq;
    const run = journal
      .atSnapshotPoint((seq) => {
        previousSeq = this.snapshotSeq;
        this.snapshotSeq = seq;
        this.behindSince = null;
        taken.data = {
          version: 2,
          seq,
          nextUserId: this.indexes.nextUserId,
          nextMailId: this.indexes.nextMailId,
          users: [...this.indexes.users.values()],
          tokens: [...this.indexes.tokens.values()],
          mails: [...this.indexes.mails.values()],
          nextActivityId: this.indexes.features.nextActivityId,
          passkeys: [...this.indexes.features.passkeys.values()],
          identities: [...this.indexes.features.identities.values()],
          activity: [...this.indexes.features.activity.values()],
        };
        taken.rotated = journal.rotate();
      })
      .then(async () => {
        const { data, rotated: replaced } = taken;
        if (!data || !replaced) return;
        try {
          await replaced.previous?.close();
          const started = performance.now();
          this.snapshotBytes = await writeSnapshot(this.file, data);
          this.lastDurationMs = performance.now() - started;
          await deleteJournalFiles(replaced.files);
          this.lastError = null;
        } catch (error) {
          journal.restore(replaced);
          this.snapshotSeq = previousSeq;
          this.behindSince ??= Date.now();
          this.lastError = error;
          this.onError(error);
          this.schedule();
        }
      })
      .finally(() => {
        this.running = null;
      });
    this.running = run;
    return run;
  }
}
