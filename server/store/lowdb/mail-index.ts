import type { MailRecord } from '../store.js';
import { MinHeap } from './heap.js';

/** Where a mail stands within its group: the earliest due first, then the oldest. */
type DueKey = Readonly<{ dueAt: number; id: number }>;
/** A group's first mail, listed in its priority's heap. */
type Head = DueKey & Readonly<{ group: string; toKey: string }>;

const before = (a: DueKey, b: DueKey) => (a.dueAt !== b.dueAt ? a.dueAt < b.dueAt : a.id < b.id);
const same = (a: DueKey, b: DueKey) => a.dueAt === b.dueAt && a.id === b.id;
const groupOf = (mail: Pick<MailRecord, 'priority' | 'toKey'>) => `${mail.priority}\u0000${mail.toKey}`;

/** When a mail may next be claimed: its retry time, or when a live claim on it lapses. */
export function dueKeyOf(mail: MailRecord): DueKey {
  const next = Date.parse(mail.nextAttempt);
  const lapses = mail.claim !== null && mail.claimedUntil !== null ? Date.parse(mail.claimedUntil) : 0;
  return { dueAt: Math.max(next, lapses), id: mail.id };
}

/**
 * The due-mail index, in two levels so no recipient can hold the queue (issue 9.4). Mail is
 * grouped by (priority, recipient); each group is a heap of its own mail, and each priority has a
 * heap of its groups' first mails saying whose turn it is. Taking due mail walks the priorities
 * in order (links before notices) and pops at most one mail per recipient, in O(log n), without
 * looking at the 5,000 others a flooded address may hold.
 *
 * Entries are never updated in place: a changed or deleted mail leaves a stale entry that is
 * recognised (its key no longer matches the mail) and dropped when it reaches the top.
 */
export class DueMailIndex {
  private readonly groups = new Map<string, MinHeap<DueKey>>();
  private readonly heads = new Map<number, MinHeap<Head>>();
  /** The key of each group's entry in `heads` that is still meant to be there. */
  private readonly listed = new Map<string, DueKey>();

  constructor(private readonly mailById: (id: number) => MailRecord | undefined) {}

  /** Call after a mail was added or changed. */
  added(mail: MailRecord): void {
    const group = groupOf(mail);
    let heap = this.groups.get(group);
    if (!heap) {
      heap = new MinHeap<DueKey>(before);
      this.groups.set(group, heap);
    }
    heap.push(dueKeyOf(mail));
    this.refresh(mail);
  }

  /** Call after a mail was deleted, or moved out of its group. */
  removed(mail: Pick<MailRecord, 'priority' | 'toKey'>): void {
    this.refresh(mail);
  }

  /**
   * The first `limit` mails due at `now`, lowest priority first, at most one per recipient. The
   * caller changes them (a claim) and then calls `added` for each, which lists each group's next
   * mail again.
   */
  takeDue(now: number, limit: number): MailRecord[] {
    const taken: MailRecord[] = [];
    const recipients = new Set<string>();
    const priorities = [...this.heads.keys()].sort((a, b) => a - b);
    for (const priority of priorities) {
      const heap = this.heads.get(priority);
      if (!heap) continue;
      const setAside: Head[] = [];
      while (taken.length < limit) {
        const top = heap.peek();
        if (!top || top.dueAt > now) break;
        heap.pop();
        const listed = this.listed.get(top.group);
        if (!listed || !same(listed, top)) continue; // replaced by a newer entry
        if (recipients.has(top.toKey)) {
          setAside.push(top); // this recipient had its turn in this call
          continue;
        }
        this.listed.delete(top.group);
        const head = this.cleanTop(top.group);
        const mail = head ? this.mailById(head.id) : undefined;
        if (!head || !mail || !same(head, top)) {
          this.refresh({ priority, toKey: top.toKey });
          continue;
        }
        taken.push(mail);
        recipients.add(top.toKey);
      }
      for (const head of setAside) heap.push(head);
    }
    return taken;
  }

  private cleanTop(group: string): DueKey | undefined {
    const heap = this.groups.get(group);
    if (!heap) return undefined;
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const mail = this.mailById(top.id);
      if (mail && groupOf(mail) === group && same(dueKeyOf(mail), top)) return top;
      heap.pop();
    }
    this.groups.delete(group);
    return undefined;
  }

  private refresh(mail: Pick<MailRecord, 'priority' | 'toKey'>): void {
    const group = groupOf(mail);
    const top = this.cleanTop(group);
    const listed = this.listed.get(group);
    if (!top) {
      this.listed.delete(group);
      return;
    }
    if (listed && same(listed, top)) return;
    this.listed.set(group, top);
    let heap = this.heads.get(mail.priority);
    if (!heap) {
      heap = new MinHeap<Head>(before);
      this.heads.set(mail.priority, heap);
    }
    heap.push({ ...top, group, toKey: mail.toKey });
  }
}
