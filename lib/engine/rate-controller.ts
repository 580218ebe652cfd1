import { DeadlineError, StoppedError } from '../core/errors.ts';
import type { Clock, Sleep } from '../core/ports.ts';
import { abortableSleep } from '../core/sleep.ts';
import { cubicRate, slowStartRate } from './rate-growth.ts';
import { TimeSeries } from './time-series.ts';

/** Options of {@link AdaptiveRateController}. */
export interface RateControllerOptions {
  /** Hard ceiling in calls per second (`--max-qps`); undefined means discover the limit. */
  readonly maxQps?: number;
  /** Starting rate when no ceiling is known, calls per second. @default 10 */
  readonly initialQps?: number;
  readonly now?: Clock;
  /** Used by {@link AdaptiveRateController.acquire}. @default setTimeout, cut short by the signal */
  readonly sleep?: Sleep;
}

/** Starting rate without a ceiling: a cautious guess that slow start doubles past within a second or two. */
const DEFAULT_INITIAL_QPS = 10;
/** The floor, calls per second: a crowded shared quota still gets a call every two seconds from each client. */
export const MIN_QPS = 0.5;
/** The cut while no limit could be measured yet: halving, the classic multiplicative decrease of TCP and the SDKs. */
const BETA = 0.5;
/** After a throttle, fall back to 95 % of the measured limit: just under the refill, so the bucket recovers. */
const GOODPUT_FRACTION = 0.95;
/**
 * Every decrease takes at least 5 % off the rate. In a fleet only the clients that were throttled back off,
 * so each must give up enough for the whole to fall below the limit.
 */
const MIN_DECREASE = 0.05;
/** Throttles and accepted calls are remembered 3 s: several throttle intervals, yet an old limit is soon forgotten. */
const WINDOW_MS = 3000;
/** Two throttles closer than 200 ms do not measure the limit: timer granularity and jitter would dominate. */
const MIN_MEASURE_MS = 200;
/** Fewer accepted calls than this between two throttles make a noisy figure, and in a fleet a noisy share sticks. */
const MIN_MEASURE_SAMPLES = 10;
/**
 * When {@link AdaptiveRateController.onThrottle} is not told when the request left, throttles within
 * 200 ms of a decrease (a round trip and some queueing) are taken to answer older requests.
 */
const DECREASE_COOLDOWN_MS = 200;

/** A snapshot for logs and the bench. */
export interface RateControllerState {
  readonly rateQps: number;
  readonly ceilingQps: number | undefined;
  readonly slowStart: boolean;
  /** The last measured (or assumed) limit that CUBIC grows back to. */
  readonly lastMaxQps: number | undefined;
  readonly pausedUntil: number;
  /** Callers queued in {@link AdaptiveRateController.acquire}. */
  readonly waiting: number;
}

interface Waiter {
  readonly wake: () => void;
}

/**
 * One shared, adaptive send-rate limiter for every manifest in a run.
 *
 * Pacing: callers get send slots 1/rate apart, no bursts, so the API sees an even stream.
 * {@link acquire} queues callers first-in first-out and hands out each slot only when it is due, so a
 * decrease takes effect on the very next call.
 *
 * Measuring the limit: a throttle means the API's bucket was empty at that moment. Between two throttles
 * every call the API accepted was paid for by refill, so accepted calls ÷ time between two throttles is
 * the limit itself (or, when other clients share the quota, the share this client actually gets), and
 * no burst allowance can inflate it.
 *
 * Adaptation: with a ceiling it starts there; without one, slow start doubles the rate until the first
 * throttle. On a throttle the rate falls at once to 95 % of the measured limit, or by half while no
 * limit could be measured yet; a throttle counts only if its request left after the last decrease (or,
 * when the caller does not say, after a cooldown), so one burst of throttles cuts once. Then CUBIC brings
 * the rate back to the measured limit, flat near it, and probes beyond it ever faster (turning
 * exponential after a quiet spell), so a raised quota or a neighbour that finished is found within
 * seconds. The rate never exceeds the ceiling and only grows while callers are waiting for it; idle
 * spells stop the curve's clock. `x-acs-retry-after` pauses every sender.
 */
export class AdaptiveRateController {
  readonly #now: Clock;
  readonly #sleep: Sleep;
  readonly #ceiling: number | undefined;

  #rate: number;
  #slowStart: boolean;
  #lastMax: number | undefined;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #rateAtDecrease = 0;
  /** Origin of the CUBIC curve: the last decrease, moved on by every spell without demand. */
  #curveFrom = Number.NEGATIVE_INFINITY;
  #lastGrowthAt: number;
  /** When a caller last had to wait for its slot: the limiter, not the work, was setting the pace. */
  #boundAt = Number.NEGATIVE_INFINITY;
  /** The last slot handed out; the next is 1/rate after it at whatever the rate is by then. */
  #lastSlotAt = Number.NEGATIVE_INFINITY;
  #pausedUntil = 0;
  readonly #accepted = new TimeSeries();
  readonly #throttles = new TimeSeries();
  readonly #waiters: Waiter[] = [];
  #headBusy = false;
  /** The caller at the head of the queue is asleep until its slot. */
  #headAsleep = false;

  constructor(options: RateControllerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#ceiling = options.maxQps;
    this.#rate = this.#clamp(options.maxQps ?? options.initialQps ?? DEFAULT_INITIAL_QPS);
    this.#slowStart = true;
    this.#lastGrowthAt = this.#now();
  }

  /** Current send rate, calls per second. */
  get rateQps(): number {
    return this.#rate;
  }

  /** A snapshot of the controller's state. */
  state(): RateControllerState {
    return {
      rateQps: this.#rate,
      ceilingQps: this.#ceiling,
      slowStart: this.#slowStart,
      lastMaxQps: this.#lastMax,
      pausedUntil: this.#pausedUntil,
      waiting: this.#waiters.length + (this.#headBusy ? 1 : 0),
    };
  }

  /**
   * Waits for a send slot, first come first served, and takes it when it is due at the rate of that
   * moment. Throws DeadlineError when the slot would start after `deadlineAt`, StoppedError when
   * `signal` aborts.
   */
  async acquire(deadlineAt = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new StoppedError('run stopped');
    if (Math.max(this.#now(), this.#pausedUntil) > deadlineAt) {
      throw new DeadlineError('the next send slot is past the deadline');
    }
    if (this.#headBusy || this.#waiters.length > 0) await this.#queue(signal);
    this.#headBusy = true;
    try {
      // Each pass sleeps until the slot computed at the current rate; a decrease or a pause while
      // asleep just moves the slot, so the loop ends once a slot is due (bounded for safety).
      for (let pass = 0; pass < 100_000; pass++) {
        if (signal?.aborted) throw new StoppedError('run stopped');
        const now = this.#now();
        this.#grow(now);
        const start = this.#slotStart(now);
        if (start > deadlineAt) throw new DeadlineError('the next send slot is past the deadline');
        // Timers fire with 1 ms granularity; a slot due within it is due now.
        if (start - now < 1) {
          this.#take(start, pass > 0 || this.#waiters.length > 0);
          return;
        }
        this.#headAsleep = true;
        await this.#sleep(start - now, signal);
      }
      throw new StoppedError('gave up waiting for a send slot');
    } finally {
      this.#headBusy = false;
      this.#headAsleep = false;
      this.#waiters.shift()?.wake();
    }
  }

  /** Feedback: the API accepted a call (or refused it for a reason unrelated to rate). */
  onSuccess(): void {
    const now = this.#now();
    this.#accepted.push(now);
    this.#forget(now);
  }

  /**
   * Feedback: the API answered `Throttling*`. `retryAfterMs` comes from `x-acs-retry-after`. `sentAt`
   * (same clock as `now`) is when the throttled request left: a request sent before the last decrease
   * says nothing new. Without it, throttles soon after a decrease count as stale.
   */
  onThrottle(retryAfterMs?: number, sentAt?: number): void {
    const now = this.#now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfterMs);
    }
    this.#forget(now);
    const measured = this.#measuredLimit(now);
    this.#throttles.push(now);
    if (!this.#sentSinceDecrease(sentAt, now)) return;
    const before = this.#rate;
    const next = measured === undefined ? before * BETA : measured * GOODPUT_FRACTION;
    this.#rate = this.#clamp(Math.min(next, before * (1 - MIN_DECREASE)));
    this.#lastMax = this.#clamp(measured ?? before);
    this.#rateAtDecrease = this.#rate;
    this.#lastDecreaseAt = now;
    this.#curveFrom = now;
    this.#lastGrowthAt = now;
    this.#slowStart = false;
  }

  /**
   * Whether an answer speaks about the current rate: its request left after the last decrease. Without
   * `sentAt`, answers within {@link DECREASE_COOLDOWN_MS} of the decrease are taken to be older.
   */
  #sentSinceDecrease(sentAt: number | undefined, now: number): boolean {
    return sentAt === undefined ? now - this.#lastDecreaseAt >= DECREASE_COOLDOWN_MS : sentAt >= this.#lastDecreaseAt;
  }

  /**
   * Accepted calls per second between the oldest remembered throttle and now (another throttle): the
   * API's bucket was empty at both ends, so refill paid for exactly those calls. Undefined when the
   * span is too short to trust.
   */
  #measuredLimit(now: number): number | undefined {
    const since = this.#throttles.first();
    if (since === undefined || now - since < MIN_MEASURE_MS) return undefined;
    const accepted = this.#accepted.countBetween(since, now);
    // Too few calls make a noisy figure, and in a fleet a noisy share sticks: better a blind cut.
    return accepted >= MIN_MEASURE_SAMPLES ? (accepted * 1000) / (now - since) : undefined;
  }

  /**
   * When the next slot is due for a caller waiting now. A timer that fired late must not push every later
   * slot back, so a slot keeps its place on the schedule while it is less than one interval overdue;
   * after a longer idle spell the schedule restarts at now, so idling never turns into a burst.
   */
  #slotStart(now: number): number {
    const intervalMs = 1000 / this.#rate;
    const scheduled = this.#lastSlotAt + intervalMs;
    return Math.max(scheduled < now - intervalMs ? now : scheduled, this.#pausedUntil);
  }

  /** Takes the slot at `start`; `waited` says whether the caller (or one behind it) had to wait. */
  #take(start: number, waited: boolean): void {
    this.#lastSlotAt = start;
    if (waited) this.#boundAt = start;
  }

  #queue(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new StoppedError('run stopped'));
      };
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #grow(now: number): void {
    const elapsedMs = now - this.#lastGrowthAt;
    if (elapsedMs <= 0) return;
    // Only grow while the limiter is what holds callers back: a run short of work (or a Lambda container
    // between invocations) must not inflate the rate, so the curve's clock stops meanwhile.
    const bound = this.#headAsleep || this.#boundAt >= now - 3 * (1000 / this.#rate);
    this.#lastGrowthAt = now;
    if (!bound) {
      this.#curveFrom += elapsedMs;
      return;
    }
    if (this.#slowStart) {
      this.#rate = this.#clamp(slowStartRate(this.#rate, elapsedMs));
      return;
    }
    const curve = {
      lastMaxQps: this.#lastMax ?? this.#rate,
      rateAtDecreaseQps: this.#rateAtDecrease,
      ceilingQps: this.#ceiling,
    };
    this.#rate = this.#clamp(Math.max(this.#rate, cubicRate(curve, now - this.#curveFrom)));
  }

  #forget(now: number): void {
    const cutoff = now - WINDOW_MS;
    this.#accepted.trim(cutoff);
    this.#throttles.trim(cutoff);
  }

  #clamp(rate: number): number {
    return Math.min(this.#ceiling ?? Number.POSITIVE_INFINITY, Math.max(MIN_QPS, rate));
  }
}
