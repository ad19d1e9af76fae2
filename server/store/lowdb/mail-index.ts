import type { MailRecord } from '../store.js';
import { MinHeap } from './heap.js';

/** Where a mail stands in the queue: lower priority first, then the earliest due, then the oldest. */
type DueKey = Readonly<{ priority: number; dueAt: number; id: number }>;
type Head = DueKey & Readonly<{ toKey: string }>;

const before = (a: DueKey, b: DueKey) =>
  a.priority !== b.priority ? a.priority < b.priority : a.dueAt !== b.dueAt ? a.dueAt < b.dueAt : a.id < b.id;
const same = (a: DueKey, b: DueKey) => a.priority === b.priority && a.dueAt === b.dueAt && a.id === b.id;

/** When a mail may next be claimed: its retry time, or when a live claim on it lapses. */
export function dueKeyOf(mail: MailRecord): DueKey {
  const next = Date.parse(mail.nextAttempt);
  const lapses = mail.claim !== null && mail.claimedUntil !== null ? Date.parse(mail.claimedUntil) : 0;
  return { priority: mail.priority, dueAt: Math.max(next, lapses), id: mail.id };
}

/**
 * The due-mail index, in two levels so no recipient can hold the queue (issue 9.4): each
 * recipient has a heap of its own mail, and a heap of recipients' first mails says whose turn it
 * is. Taking due mail pops at most one mail per recipient, in O(log n), without looking at the
 * 5,000 others a flooded address may hold.
 *
 * Entries are never updated in place: a changed or deleted mail leaves a stale entry that is
 * recognised (its key no longer matches the mail) and dropped when it reaches the top.
 */
export class DueMailIndex {
  private readonly byRecipient = new Map<string, MinHeap<DueKey>>();
  private readonly heads = new MinHeap<Head>(before);
  /** The key of each recipient's entry in `heads` that is still meant to be there. */
  private readonly listedHead = new Map<string, DueKey>();

  constructor(private readonly mailById: (id: number) => MailRecord | undefined) {}

  /** Call after a mail was added or changed. */
  added(mail: MailRecord): void {
    let heap = this.byRecipient.get(mail.toKey);
    if (!heap) {
      heap = new MinHeap<DueKey>(before);
      this.byRecipient.set(mail.toKey, heap);
    }
    heap.push(dueKeyOf(mail));
    this.refresh(mail.toKey);
  }

  /** Call after a mail of `toKey` was deleted. */
  removed(toKey: string): void {
    this.refresh(toKey);
  }

  /**
   * The first `limit` mails due at `now`, at most one per recipient. The caller changes them (a
   * claim) and then calls `added` for each, which lists each recipient's next mail again.
   */
  takeDue(now: number, limit: number): MailRecord[] {
    const taken: MailRecord[] = [];
    while (taken.length < limit) {
      const top = this.heads.peek();
      if (!top || top.dueAt > now) break;
      this.heads.pop();
      const listed = this.listedHead.get(top.toKey);
      if (!listed || !same(listed, top)) continue; // replaced by a newer head entry
      this.listedHead.delete(top.toKey);
      const head = this.cleanTop(top.toKey);
      const mail = head ? this.mailById(head.id) : undefined;
      if (!head || !mail || !same(head, top)) {
        this.refresh(top.toKey);
        continue;
      }
      taken.push(mail);
    }
    return taken;
  }

  private valid(toKey: string, key: DueKey): boolean {
    const mail = this.mailById(key.id);
    return mail !== undefined && mail.toKey === toKey && same(dueKeyOf(mail), key);
  }

  private cleanTop(toKey: string): DueKey | undefined {
    const heap = this.byRecipient.get(toKey);
    if (!heap) return undefined;
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      if (this.valid(toKey, top)) return top;
      heap.pop();
    }
    this.byRecipient.delete(toKey);
    return undefined;
  }

  private refresh(toKey: string): void {
    const top = this.cleanTop(toKey);
    const listed = this.listedHead.get(toKey);
    if (!top) {
      this.listedHead.delete(toKey);
      return;
    }
    if (listed && same(listed, top)) return;
    this.listedHead.set(toKey, top);
    this.heads.push({ ...top, toKey });
  }
}
