/** Options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second; the sustained call rate. */
  readonly ratePerSecond: number;
  /** Most tokens the bucket holds, i.e. the largest burst it lets through at once. */
  readonly capacity: number;
  /** Clock in epoch milliseconds; injected so tests need no real waiting. */
  readonly now: () => number;
}

/**
 * A classic token bucket. It starts full, refills lazily on each call (no timers) and never holds more
 * than `capacity` tokens.
 */
export class TokenBucket {
  #rate: number;
  #capacity: number;
  #tokens: number;
  #updatedAtMs: number;
  readonly #now: () => number;

  constructor(options: TokenBucketOptions) {
    assertPositive('ratePerSecond', options.ratePerSecond);
    assertPositive('capacity', options.capacity);
    this.#rate = options.ratePerSecond;
    this.#capacity = options.capacity;
    this.#tokens = options.capacity;
    this.#now = options.now;
    this.#updatedAtMs = options.now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token is available; 0 when one is available now. */
  msUntilNextToken(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  /** Changes rate and capacity at run time; tokens above the new capacity are dropped. */
  reconfigure(ratePerSecond: number, capacity: number): void {
    assertPositive('ratePerSecond', ratePerSecond);
    assertPositive('capacity', capacity);
    this.#refill();
    this.#rate = ratePerSecond;
    this.#capacity = capacity;
    this.#tokens = Math.min(this.#tokens, capacity);
  }

  #refill(): void {
    const nowMs = this.#now();
    // A clock that steps backwards (tests) must not drain the bucket.
    const elapsedMs = Math.max(0, nowMs - this.#updatedAtMs);
    this.#updatedAtMs = nowMs;
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsedMs * this.#rate) / 1000);
  }
}

function assertPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number (got ${value})`);
}
