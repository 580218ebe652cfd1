/** Timestamps in arrival order, forgotten once older than a horizon. */
export class TimeSeries {
  #items: number[] = [];
  #head = 0;

  push(at: number): void {
    this.#items.push(at);
  }

  /** Forgets entries older than `cutoff`. */
  trim(cutoff: number): void {
    while (this.#head < this.#items.length && (this.#items[this.#head] ?? 0) < cutoff) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The oldest entry still kept, if any. */
  first(): number | undefined {
    return this.#items[this.#head];
  }

  /** How many entries are later than `from` (exclusive) and at most `to`. */
  countBetween(from: number, to: number): number {
    return this.#indexAfter(to) - this.#indexAfter(from);
  }

  /** Index of the first entry later than `at`. */
  #indexAfter(at: number): number {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#items[mid] ?? 0) <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
