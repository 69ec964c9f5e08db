/**
 * A bounded FIFO on a ring buffer. When full, adding drops the oldest item (counted), so memory
 * stays bounded while the server is unreachable; every operation is O(1) per item, which keeps
 * a hot `checkGate` loop cheap even when the queue has been full for a while.
 */
export class EventQueue<T> {
  /** The ring; it grows (doubling) up to `capacity`, so an idle SDK holds no 10,000-slot array. */
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** Items pushed out because the queue was full. */
  dropped = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.items = new Array(Math.min(16, this.capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Doubles the ring (up to capacity), keeping the order; false when it is at capacity. */
  private grow(): boolean {
    if (this.items.length >= this.capacity) return false;
    const items: (T | undefined)[] = new Array(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) items[i] = this.items[(this.head + i) % this.items.length];
    this.items = items;
    this.head = 0;
    return true;
  }

  push(item: T): void {
    if (this.count === this.items.length && !this.grow()) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.items.length;
      this.count -= 1;
      this.dropped += 1;
    }
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count += 1;
  }

  /**
   * Puts items back at the front (a batch that failed to send), oldest first. Items that no
   * longer fit are the oldest of all, so they are the ones dropped.
   */
  unshift(batch: readonly T[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      if (this.count === this.items.length && !this.grow()) {
        this.dropped += i + 1;
        return;
      }
      this.head = (this.head - 1 + this.items.length) % this.items.length;
      this.items[this.head] = batch[i];
      this.count += 1;
    }
  }

  /** Removes and returns up to `n` of the oldest items. */
  take(n: number): T[] {
    const taken: T[] = [];
    while (taken.length < n && this.count > 0) {
      taken.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.items.length;
      this.count -= 1;
    }
    return taken;
  }
}
