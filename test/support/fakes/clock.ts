import type { Clock, Sleep } from '../../../lib/core/ports.ts';

/** How a {@link FakeClock} treats sleeps. */
export interface FakeClockOptions {
  /** Epoch ms the clock starts at. @default 1_000_000 */
  readonly startMs?: number;
  /**
   * `true`: a sleep moves time forward by its length at once, so the code under test never waits.
   * `false`: a sleep waits until {@link FakeClock.advance} or {@link FakeClock.run} moves time past it,
   * so a test can act (throttle, abort) while a caller is asleep.
   * @default true
   */
  readonly autoAdvance?: boolean;
}

interface Sleeper {
  readonly at: number;
  readonly wake: () => void;
}

// Enough turns of the microtask queue for a woken caller to reach its next sleep or settle.
const FLUSH_TURNS = 20;

/**
 * The one fake time source of the tests: `now` and `sleep` with the shapes of the Clock and Sleep ports.
 * Sleeps are abortable like the real one and every requested length is recorded in `sleeps`.
 */
export class FakeClock {
  /** Every sleep asked for, in ms, in order. */
  readonly sleeps: number[] = [];
  readonly #autoAdvance: boolean;
  readonly #sleepers: Sleeper[] = [];
  #nowMs: number;

  constructor(options: FakeClockOptions = {}) {
    this.#nowMs = options.startMs ?? 1_000_000;
    this.#autoAdvance = options.autoAdvance ?? true;
  }

  readonly now: Clock = () => this.#nowMs;

  readonly sleep: Sleep = (ms, signal) => {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.resolve();
    if (this.#autoAdvance) {
      this.#nowMs += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        at: this.#nowMs + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#sleepers.indexOf(sleeper);
        if (i >= 0) this.#sleepers.splice(i, 1);
        resolve();
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  /** Moves time forward by `ms`, waking sleepers in order as their time comes. */
  async advance(ms: number): Promise<void> {
    const until = this.#nowMs + ms;
    await flush();
    for (;;) {
      this.#sleepers.sort((a, b) => a.at - b.at);
      const next = this.#sleepers[0];
      if (!next || next.at > until) break;
      this.#sleepers.shift();
      this.#nowMs = Math.max(this.#nowMs, next.at);
      next.wake();
      await flush();
    }
    this.#nowMs = until;
  }

  /** Advances time 1 ms at a time until `promise` settles (at most `limitMs`), and returns its outcome. */
  async run<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    for (let waited = 0; !settled && waited < limitMs; waited += 1) await this.advance(1);
    return watched;
  }
}

/** A new {@link FakeClock}; sleeps advance time at once unless `autoAdvance` is false. */
export function fakeClock(options: FakeClockOptions = {}): FakeClock {
  return new FakeClock(options);
}

async function flush(): Promise<void> {
  for (let i = 0; i < FLUSH_TURNS; i++) await Promise.resolve();
}
