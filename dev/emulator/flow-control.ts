import { ConfigError } from '../../lib/core/errors.ts';
import { TokenBucket } from './token-bucket.ts';

/** The actions the emulator serves, each with its own quota. */
export type EcsAction = 'RemoveTags' | 'DescribeTags' | 'ListTagResources';

/** Whether flow control lets a call through; when not, how long until it would. */
export type FlowDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly msUntilNextToken: number };

/**
 * Per-API flow control: ECS keeps one quota per API, so each action gets its own token bucket.
 * An action without a bucket is unlimited.
 */
export class FlowControl {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Limits `action` to `maxQps` calls per second with bursts of `burst` calls; undefined lifts the limit.
   * @param burst @default max(1, ceil(maxQps)): one second's worth, like a per-second quota
   */
  set(action: string, maxQps: number | undefined, burst?: number): void {
    if (maxQps === undefined) {
      this.#buckets.delete(action);
      return;
    }
    if (!(Number.isFinite(maxQps) && maxQps > 0)) {
      throw new ConfigError(`maxQps must be a positive number (got ${maxQps})`);
    }
    const capacity = burst ?? Math.max(1, Math.ceil(maxQps));
    if (!(Number.isFinite(capacity) && capacity >= 1)) {
      throw new ConfigError(`burst must be at least 1 (got ${capacity})`);
    }
    const bucket = this.#buckets.get(action);
    if (bucket) bucket.reconfigure(maxQps, capacity);
    else this.#buckets.set(action, new TokenBucket({ ratePerSecond: maxQps, capacity, now: this.#now }));
  }

  /** Takes a token for one call of `action`. */
  take(action: string): FlowDecision {
    const bucket = this.#buckets.get(action);
    if (!bucket || bucket.tryTake()) return { admitted: true };
    return { admitted: false, msUntilNextToken: bucket.msUntilNextToken() };
  }
}
