import { DeadlineError, StoppedError } from '../../../lib/core/errors.ts';
import { AdaptiveRateController } from '../../../lib/engine/rate-controller.ts';

/**
 * Stands in for the project's controller inside the executor for the peer strategies: it paces at a
 * fixed rate (or not at all) and ignores all feedback, so only the peer's own limiter adapts.
 */
export class FixedRate extends AdaptiveRateController {
  readonly #intervalMs: number;
  #nextSlotAt = Number.NEGATIVE_INFINITY;

  /** `maxQps` undefined means no pacing at all. */
  constructor(maxQps: number | undefined) {
    super(maxQps === undefined ? {} : { maxQps });
    this.#intervalMs = maxQps === undefined ? 0 : 1000 / maxQps;
  }

  /** Books the next slot and returns how long to wait for it, in ms; a fixed rate can book ahead safely. */
  #reserve(deadlineAt: number): number {
    const now = Date.now();
    const start = Math.max(now, this.#nextSlotAt);
    if (start > deadlineAt) throw new DeadlineError('the next send slot is past the deadline');
    this.#nextSlotAt = start + this.#intervalMs;
    return start - now;
  }

  override async acquire(deadlineAt = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<void> {
    // A fixed rate never changes, so booking the slot ahead is as good as queueing for it.
    const waitMs = this.#reserve(deadlineAt);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (signal?.aborted) throw new StoppedError('run stopped');
  }

  override onSuccess(): void {}

  override onThrottle(): void {}
}
