/**
 * What a dev run has started and must stop: each stop function runs once, newest first, so that a thing
 * stops before what it depends on, and one that fails does not keep the rest listening.
 */
export class Closers {
  readonly #stops: (() => Promise<void> | void)[] = [];

  /** Adds a stop function; it runs before every one added earlier. */
  add(stop: () => Promise<void> | void): void {
    this.#stops.push(stop);
  }

  /** Runs every stop function added so far, newest first, ignoring their failures. */
  async closeAll(): Promise<void> {
    for (let stop = this.#stops.pop(); stop !== undefined; stop = this.#stops.pop()) {
      try {
        await stop();
      } catch {
        // Keep going: the next thing must still stop.
      }
    }
  }
}
