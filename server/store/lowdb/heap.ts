/**
 * A binary min-heap: the due-mail index takes the next mail in O(log n) instead of sorting the
 * whole queue on every pass (issue 9.4: each drain pass sorted every queued email).
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  /** `before(a, b)` is true when `a` must come out first. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** How many entries it holds, stale ones included. */
  get size(): number {
    return this.items.length;
  }

  /** The first entry without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(items[index] as T, items[parent] as T)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  /** Removes and returns the first entry. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.before(items[left] as T, items[smallest] as T)) smallest = left;
        if (right < items.length && this.before(items[right] as T, items[smallest] as T)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return top;
  }

  private swap(a: number, b: number): void {
    const items = this.items;
    const held = items[a] as T;
    items[a] = items[b] as T;
    items[b] = held;
  }
}
