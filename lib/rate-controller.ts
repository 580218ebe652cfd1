import { CleanupError } from './errors.ts';

/** Raised when a call would have to start after the run's deadline. */
export class DeadlineError extends CleanupError {
  override name = 'DeadlineError';
}

/** Raised to callers waiting for a send slot when the run was stopped. */
export class StoppedError extends CleanupError {
  override name = 'StoppedError';
}

export interface RateControllerOptions {
  /** Hard ceiling in calls per second (`--max-qps`); undefined means discover the limit. */
  readonly maxQps?: number;
  /** Starting rate when no ceiling is known, calls per second. @default 10 */
  readonly initialQps?: number;
  /** Never send slower than this, calls per second. @default 0.5 */
  readonly minQps?: number;
  /** Multiplicative decrease when no delivery estimate exists yet. @default 0.7 */
  readonly beta?: number;
  /** Fraction of the measured accepted rate to fall back to on throttling. @default 0.95 */
  readonly goodputFraction?: number;
  /** Window over which the accepted rate is measured. @default 1000 */
  readonly windowMs?: number;
  /** Minimum gap between two decreases: throttles from one burst count once. @default 250 */
  readonly decreaseCooldownMs?: number;
  /** CUBIC growth constant relative to the last max rate, per s³. @default 0.004 */
  readonly cubicScale?: number;
  /** Slow start doubles the rate this often until the first throttle. @default 500 */
  readonly slowStartDoublingMs?: number;
  readonly now?: () => number;
}

/** A snapshot for logs and the bench. */
export interface RateControllerState {
  readonly rateQps: number;
  readonly ceilingQps: number | undefined;
  readonly slowStart: boolean;
  readonly lastMaxQps: number | undefined;
  readonly pausedUntil: number;
}

/**
 * One shared, adaptive send-rate limiter for every manifest in a run.
 *
 * Pacing: each caller reserves the next send slot 1/rate apart (no bursts), so the API sees an even
 * stream. Adaptation: slow start until the first `Throttling*`; then, on throttling, the rate falls to a
 * little under the accepted rate actually measured (the API has just told us its limit), and CUBIC growth
 * brings it back to the last max and probes carefully beyond. `x-acs-retry-after` pauses every sender.
 */
export class AdaptiveRateController {
  readonly #now: () => number;
  readonly #ceiling: number | undefined;
  readonly #minQps: number;
  readonly #beta: number;
  readonly #goodputFraction: number;
  readonly #windowMs: number;
  readonly #decreaseCooldownMs: number;
  readonly #cubicScale: number;
  readonly #slowStartDoublingMs: number;

  #rate: number;
  #slowStart: boolean;
  #lastMax: number | undefined;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #rateAtDecrease = 0;
  #lastGrowthAt: number;
  #nextSlotAt = 0;
  #pausedUntil = 0;
  /** Timestamps of accepted calls within the window, oldest first (a ring would do; calls/s are small). */
  #accepted: number[] = [];
  #acceptedHead = 0;

  constructor(options: RateControllerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#ceiling = options.maxQps;
    this.#minQps = options.minQps ?? 0.5;
    this.#beta = options.beta ?? 0.7;
    this.#goodputFraction = options.goodputFraction ?? 0.95;
    this.#windowMs = options.windowMs ?? 1000;
    this.#decreaseCooldownMs = options.decreaseCooldownMs ?? 250;
    this.#cubicScale = options.cubicScale ?? 0.004;
    this.#slowStartDoublingMs = options.slowStartDoublingMs ?? 500;
    // With a ceiling we trust the operator and start there; the first throttle corrects a wrong one.
    this.#rate = this.#clamp(options.maxQps ?? options.initialQps ?? 10);
    this.#slowStart = options.maxQps === undefined;
    this.#lastGrowthAt = this.#now();
  }

  /** Current send rate, calls per second. */
  get rateQps(): number {
    return this.#rate;
  }

  state(): RateControllerState {
    return {
      rateQps: this.#rate,
      ceilingQps: this.#ceiling,
      slowStart: this.#slowStart,
      lastMaxQps: this.#lastMax,
      pausedUntil: this.#pausedUntil,
    };
  }

  /**
   * Reserves the next send slot and returns how long to wait for it, in ms.
   * Throws DeadlineError (reserving nothing) when the slot would start after `deadlineAt`.
   */
  reserve(deadlineAt = Number.POSITIVE_INFINITY): number {
    const now = this.#now();
    this.#grow(now);
    const start = Math.max(now, this.#nextSlotAt, this.#pausedUntil);
    if (start > deadlineAt) throw new DeadlineError('the next send slot is past the deadline');
    this.#nextSlotAt = start + 1000 / this.#rate;
    return start - now;
  }

  /** Feedback: the API accepted a call (or refused it for a reason unrelated to rate). */
  onSuccess(): void {
    const now = this.#now();
    this.#accepted.push(now);
    this.#trimWindow(now);
  }

  /** Feedback: the API answered `Throttling*`. `retryAfterMs` comes from `x-acs-retry-after`. */
  onThrottle(retryAfterMs?: number): void {
    const now = this.#now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfterMs);
    }
    this.#trimWindow(now);
    // Throttles answering requests sent before the last decrease say nothing new.
    if (now - this.#lastDecreaseAt < this.#decreaseCooldownMs) return;
    const acceptedQps = this.#acceptedQps(now);
    const fromGoodput = acceptedQps * this.#goodputFraction;
    const fromBeta = this.#rate * this.#beta;
    // Prefer the measured delivery rate when we have a full window of it; never go up on a throttle.
    const next = acceptedQps > 0 && this.#windowFilled(now) ? Math.min(this.#rate, fromGoodput) : fromBeta;
    this.#lastMax = Math.max(next, Math.min(this.#rate, acceptedQps || this.#rate));
    this.#rate = this.#clamp(Math.min(next, this.#rate * 0.999));
    this.#rateAtDecrease = this.#rate;
    this.#lastDecreaseAt = now;
    this.#lastGrowthAt = now;
    this.#slowStart = false;
    // Re-pace from now: slots reserved at the old rate would otherwise keep the burst going.
    this.#nextSlotAt = Math.max(this.#nextSlotAt, now);
  }

  #grow(now: number): void {
    const elapsedMs = now - this.#lastGrowthAt;
    if (elapsedMs <= 0) return;
    // Only grow when the limiter is what holds callers back; an idle run must not inflate the rate.
    const saturated = this.#nextSlotAt >= now - 2 * (1000 / this.#rate);
    this.#lastGrowthAt = now;
    if (!saturated) return;
    if (this.#slowStart) {
      this.#rate = this.#clamp(this.#rate * 2 ** (elapsedMs / this.#slowStartDoublingMs));
      return;
    }
    const wMax = this.#lastMax ?? this.#rate;
    const c = this.#cubicScale * wMax;
    const k = Math.cbrt(Math.max(0, wMax - this.#rateAtDecrease) / c);
    const t = (now - this.#lastDecreaseAt) / 1000;
    const target = wMax + c * (t - k) ** 3;
    this.#rate = this.#clamp(Math.max(this.#rate, target));
  }

  #acceptedQps(now: number): number {
    // Measure only since the last decrease (or over the whole window): older calls ran at another rate.
    const spanMs = Math.min(this.#windowMs, Math.max(1, now - this.#lastDecreaseAt));
    const from = now - spanMs;
    let lo = this.#acceptedHead;
    let hi = this.#accepted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#accepted[mid] ?? 0) < from) lo = mid + 1;
      else hi = mid;
    }
    return ((this.#accepted.length - lo) * 1000) / spanMs;
  }

  #windowFilled(now: number): boolean {
    return now - this.#lastDecreaseAt >= this.#windowMs / 2 && this.#accepted.length - this.#acceptedHead >= 4;
  }

  #trimWindow(now: number): void {
    const cutoff = now - this.#windowMs;
    while (this.#acceptedHead < this.#accepted.length && (this.#accepted[this.#acceptedHead] ?? 0) < cutoff) {
      this.#acceptedHead++;
    }
    if (this.#acceptedHead > 1024 && this.#acceptedHead * 2 > this.#accepted.length) {
      this.#accepted = this.#accepted.slice(this.#acceptedHead);
      this.#acceptedHead = 0;
    }
  }

  #clamp(rate: number): number {
    return Math.min(this.#ceiling ?? Number.POSITIVE_INFINITY, Math.max(this.#minQps, rate));
  }
}
