import { DeadlineError, StoppedError } from '../core/errors.ts';
import type { Sleep } from '../core/ports.ts';
import { abortableSleep } from '../core/sleep.ts';

export interface RateControllerOptions {
  /** Hard ceiling in calls per second (`--max-qps`); undefined means discover the limit. */
  readonly maxQps?: number;
  /** Starting rate when no ceiling is known, calls per second. @default 10 */
  readonly initialQps?: number;
  /**
   * With a ceiling, start at this fraction of it and slow-start up to it. Starting lower costs fewer
   * throttles when the ceiling is too high (or shared by a fleet), but delays a run whose ceiling is
   * right. @default 1
   */
  readonly startFraction?: number;

  /** Never send slower than this, calls per second. @default 0.5 */
  readonly minQps?: number;
  /** Multiplicative decrease when the limit could not be measured yet. @default 0.5 */
  readonly beta?: number;
  /** Fraction of the measured limit to fall back to on throttling. @default 0.95 */
  readonly goodputFraction?: number;
  /**
   * Every decrease takes at least this fraction off the rate. In a fleet only the clients that were
   * throttled back off, so each must give up enough for the whole to fall below the limit. @default 0.05
   */
  readonly minDecrease?: number;
  /** How far back throttles and accepted calls are remembered to measure the limit, in ms. @default 3000 */
  readonly windowMs?: number;
  /** Shortest span between two throttles that measures the limit, in ms. @default 200 */
  readonly minMeasureMs?: number;
  /** Fewest accepted calls between two throttles that measure the limit. @default 10 */
  readonly minMeasureSamples?: number;
  /**
   * When {@link AdaptiveRateController.onThrottle} is not told when the request left, throttles within
   * this long after a decrease are taken to answer older requests and do not cut again. @default 200
   */
  readonly decreaseCooldownMs?: number;
  /**
   * CUBIC growth constant per s³, as a fraction of the ceiling (without one, of the last max). Tied to
   * the ceiling, every client of a fleet sharing one configuration grows by the same calls per second,
   * and equal additive growth against proportional cuts is what drives them to equal shares.
   * @default 0.03
   */
  readonly cubicScale?: number;
  /** Slow start doubles the rate this often until the first throttle, in ms. @default 250 */
  readonly slowStartDoublingMs?: number;
  /**
   * Once CUBIC has been back at the last max this long without a throttle, growth turns exponential,
   * so capacity freed by a neighbour or a raised quota is taken within seconds. @default 1000
   */
  readonly probeAfterMs?: number;
  /** Doubling time of that exponential probe, in ms. @default 500 */
  readonly probeDoublingMs?: number;
  readonly now?: () => number;
  /** Used by {@link AdaptiveRateController.acquire}. @default setTimeout, cut short by the signal */
  readonly sleep?: Sleep;
}

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

/** Timestamps in arrival order, forgotten once older than a horizon. */
class TimeSeries {
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

/**
 * One shared, adaptive send-rate limiter for every manifest in a run.
 *
 * Pacing: callers get send slots 1/rate apart, no bursts, so the API sees an even stream.
 * {@link acquire} queues callers first-in first-out and hands out each slot only when it is due, so a
 * decrease takes effect on the very next call; {@link reserve} books a slot ahead of time instead.
 *
 * Measuring the limit: a throttle means the API's bucket was empty at that moment. Between two throttles
 * every call the API accepted was paid for by refill, so accepted calls ÷ time between two throttles is
 * the limit itself (or, when other clients share the quota, the share this client actually gets), and
 * no burst allowance can inflate it.
 *
 * Adaptation: with a ceiling it starts there; without one, slow start doubles the rate until the first
 * throttle. On a throttle the rate falls at once to 95 % of the measured limit, or by `beta` while no
 * limit could be measured yet; a throttle counts only if its request left after the last decrease (or,
 * when the caller does not say, after a cooldown), so one burst of throttles cuts once. Then CUBIC brings
 * the rate back to the measured limit, flat near it, and probes beyond it ever faster (turning
 * exponential after a quiet spell), so a raised quota or a neighbour that finished is found within
 * seconds. The rate never exceeds the ceiling and only grows while callers are waiting for it; idle
 * spells stop the curve's clock. `x-acs-retry-after` pauses every sender.
 */
export class AdaptiveRateController {
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #ceiling: number | undefined;
  readonly #minQps: number;
  readonly #beta: number;
  readonly #goodputFraction: number;
  readonly #minDecrease: number;
  readonly #windowMs: number;
  readonly #minMeasureMs: number;
  readonly #minMeasureSamples: number;
  readonly #decreaseCooldownMs: number;
  readonly #cubicScale: number;
  readonly #slowStartDoublingMs: number;
  readonly #probeAfterMs: number;
  readonly #probeDoublingMs: number;

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
    this.#minQps = options.minQps ?? 0.5;
    this.#beta = options.beta ?? 0.5;
    this.#goodputFraction = options.goodputFraction ?? 0.95;
    this.#minDecrease = options.minDecrease ?? 0.05;
    this.#windowMs = options.windowMs ?? 3000;
    this.#minMeasureMs = options.minMeasureMs ?? 200;
    this.#minMeasureSamples = options.minMeasureSamples ?? 10;
    this.#decreaseCooldownMs = options.decreaseCooldownMs ?? 200;
    this.#cubicScale = options.cubicScale ?? 0.03;
    this.#slowStartDoublingMs = options.slowStartDoublingMs ?? 250;
    this.#probeAfterMs = options.probeAfterMs ?? 1000;
    this.#probeDoublingMs = options.probeDoublingMs ?? 500;
    const start =
      options.maxQps === undefined ? (options.initialQps ?? 10) : options.maxQps * (options.startFraction ?? 1);
    this.#rate = this.#clamp(start);
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
   * Reserves the next send slot and returns how long to wait for it, in ms. The slot is booked at
   * today's rate, so prefer {@link acquire}, which lets a later decrease slow down callers already waiting.
   * Throws DeadlineError (reserving nothing) when the slot would start after `deadlineAt`.
   */
  reserve(deadlineAt = Number.POSITIVE_INFINITY): number {
    const now = this.#now();
    this.#grow(now);
    const start = Math.max(now, this.#lastSlotAt + 1000 / this.#rate, this.#pausedUntil);
    if (start > deadlineAt) throw new DeadlineError('the next send slot is past the deadline');
    this.#take(start, start > now);
    return start - now;
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
   * says nothing new. Without it, throttles within `decreaseCooldownMs` of a decrease count as stale.
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
    const next = measured === undefined ? before * this.#beta : measured * this.#goodputFraction;
    this.#rate = this.#clamp(Math.min(next, before * (1 - this.#minDecrease)));
    this.#lastMax = this.#clamp(measured ?? before);
    this.#rateAtDecrease = this.#rate;
    this.#lastDecreaseAt = now;
    this.#curveFrom = now;
    this.#lastGrowthAt = now;
    this.#slowStart = false;
  }

  /**
   * Whether an answer speaks about the current rate: its request left after the last decrease. Without
   * `sentAt`, answers within `decreaseCooldownMs` of the decrease are taken to be older.
   */
  #sentSinceDecrease(sentAt: number | undefined, now: number): boolean {
    return sentAt === undefined
      ? now - this.#lastDecreaseAt >= this.#decreaseCooldownMs
      : sentAt >= this.#lastDecreaseAt;
  }

  /**
   * Accepted calls per second between the oldest remembered throttle and now (another throttle): the
   * API's bucket was empty at both ends, so refill paid for exactly those calls. Undefined when the
   * span is too short to trust.
   */
  #measuredLimit(now: number): number | undefined {
    const since = this.#throttles.first();
    if (since === undefined || now - since < this.#minMeasureMs) return undefined;
    const accepted = this.#accepted.countBetween(since, now);
    // Too few calls make a noisy figure, and in a fleet a noisy share sticks: better a blind cut.
    return accepted >= this.#minMeasureSamples ? (accepted * 1000) / (now - since) : undefined;
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
      this.#rate = this.#clamp(this.#rate * 2 ** (elapsedMs / this.#slowStartDoublingMs));
      return;
    }
    const wMax = this.#lastMax ?? this.#rate;
    const c = this.#cubicScale * (this.#ceiling ?? wMax);
    const k = Math.cbrt(Math.max(0, wMax - this.#rateAtDecrease) / c);
    const t = (now - this.#curveFrom) / 1000;
    const cubic = wMax + c * (t - k) ** 3;
    const probingS = t - k - this.#probeAfterMs / 1000;
    const exponential = probingS > 0 ? wMax * 2 ** ((probingS * 1000) / this.#probeDoublingMs) : 0;
    this.#rate = this.#clamp(Math.max(this.#rate, cubic, exponential));
  }

  #forget(now: number): void {
    const cutoff = now - this.#windowMs;
    this.#accepted.trim(cutoff);
    this.#throttles.trim(cutoff);
  }

  #clamp(rate: number): number {
    return Math.min(this.#ceiling ?? Number.POSITIVE_INFINITY, Math.max(this.#minQps, rate));
  }
}
