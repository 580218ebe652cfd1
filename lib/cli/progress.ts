import type { ResourceResult } from '../core/outcome.ts';

/**
 * A one-line progress meter on stderr for long runs in a terminal; a no-op elsewhere. Lines printed to
 * the same terminal first call {@link ProgressMeter.clearLine}, so an outcome line never lands inside it.
 */
export class ProgressMeter {
  readonly #out: NodeJS.WriteStream;
  readonly #total: number;
  readonly #rate: () => number;
  #done = 0;
  #failed = 0;
  #drawn = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream, total: number, rateQps: () => number, intervalMs = 1000) {
    this.#out = out;
    this.#total = total;
    this.#rate = rateQps;
    if (out.isTTY) {
      this.#timer = setInterval(() => this.#draw(), intervalMs);
      this.#timer.unref();
    }
  }

  record(result: ResourceResult): void {
    this.#done++;
    if (result.status === 'failed' || result.status === 'partial' || result.status === 'unfinished') this.#failed++;
  }

  /** Erases the meter's line (it comes back at the next tick). */
  clearLine(): void {
    if (!this.#drawn) return;
    this.#out.write('\r\x1b[K');
    this.#drawn = false;
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.clearLine();
  }

  #draw(): void {
    const pct = this.#total > 0 ? Math.floor((this.#done * 100) / this.#total) : 100;
    this.#out.write(
      `\r\x1b[K${this.#done}/${this.#total} resources (${pct}%), ${this.#failed} not removed, ` +
        `rate ${this.#rate().toFixed(1)} calls/s`,
    );
    this.#drawn = true;
  }
}
