import type { Executor } from '../executor.ts';

/**
 * Calls handed to the executor that have not yet got a send slot, at most. Enough that the rate
 * controller always has a caller waiting when its next slot falls due (so the API's limit is used), few
 * enough that a priority call waits behind no more than this many.
 */
const MAX_QUEUED = 2;

interface Waiter {
  readonly priority: number;
  readonly seq: number;
  readonly admit: () => void;
}

/**
 * Orders the page requests of NextToken chains that share one executor: the chain with the highest
 * priority (the longest, by DescribeTags' counts) goes first. A chain is a sequence of round trips,
 * so the longest one bounds the listing's time; served first come first served among a hundred short
 * chains it gets a hundredth of the rate, and ends alone, long after the others, far below the limit.
 * Served first it runs at one page per round trip while the short chains fill the rest of the limit.
 */
export class ChainScheduler {
  readonly #waiting: Waiter[] = [];
  #queued = 0;
  #seq = 0;

  /**
   * Runs `request` once fewer than {@link MAX_QUEUED} admitted requests are waiting for a send slot and
   * no waiting request has a higher priority (ties first come first served). `request` calls `sending`
   * when its attempt starts, which admits the next one.
   */
  async run<T>(priority: number, request: (sending: () => void) => Promise<T>): Promise<T> {
    if (this.#queued >= MAX_QUEUED || this.#waiting.length > 0) {
      await new Promise<void>((admit) => this.#enqueue({ priority, seq: this.#seq++, admit }));
    } else {
      this.#queued += 1;
    }
    let sent = false;
    const sending = () => {
      if (sent) return;
      sent = true;
      this.#queued -= 1;
      this.#admitNext();
    };
    try {
      return await request(sending);
    } finally {
      sending(); // a request that gave up without an attempt (deadline, stop) frees its place too
    }
  }

  #enqueue(waiter: Waiter): void {
    // A sorted insert: the waiting list is at most one entry per chain.
    const at = this.#waiting.findIndex((w) => w.priority < waiter.priority);
    this.#waiting.splice(at < 0 ? this.#waiting.length : at, 0, waiter);
  }

  #admitNext(): void {
    while (this.#queued < MAX_QUEUED) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#queued += 1;
      next.admit();
    }
  }
}

// One scheduler per executor: the executor is the unit that paces one API in one region.
const schedulers = new WeakMap<Executor, ChainScheduler>();

/** The scheduler of the chains that run on `executor`. */
export function chainSchedulerFor(executor: Executor): ChainScheduler {
  let scheduler = schedulers.get(executor);
  if (scheduler === undefined) {
    scheduler = new ChainScheduler();
    schedulers.set(executor, scheduler);
  }
  return scheduler;
}
