import { ConfigError } from '../../lib/core/errors.ts';

/** Per-request fault probabilities (each 0..1, summing to at most 1) and added latency. */
export interface FaultOptions {
  /** Answer 500 `InternalError` or 503 `ServiceUnavailable` without applying anything. @default 0 */
  readonly errorRate?: number;
  /** Destroy the socket without any answer, nothing applied. @default 0 */
  readonly resetRate?: number;
  /** Never answer; hold the socket until the client gives up or the server closes. @default 0 */
  readonly hangRate?: number;
  /** Apply the change, then answer 500 `InternalError` (the lost-response case). @default 0 */
  readonly applyThen500Rate?: number;
  /** Fixed latency added to every call that passes auth and flow control, in ms. @default 0 */
  readonly latencyMs?: number;
  /** Extra random latency, uniform in [0, jitterMs), in ms. @default 0 */
  readonly jitterMs?: number;
}

/** What the emulator does with one call. */
export type FaultKind = 'none' | 'internalError' | 'serviceUnavailable' | 'reset' | 'hang' | 'applyThen500';

/** One fault decision: the kind and the latency to add before acting on it. */
export interface FaultDecision {
  readonly kind: FaultKind;
  readonly delayMs: number;
}

/** mulberry32: a tiny, fast, seedable PRNG; good enough for fault schedules, not for secrets. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a {@link ConfigError} unless every rate is in 0..1, they sum to at most 1 and latencies are ≥ 0. */
export function validateFaults(faults: FaultOptions): void {
  const rates = [faults.errorRate, faults.resetRate, faults.hangRate, faults.applyThen500Rate];
  const named: [string, number | undefined][] = [
    ['errorRate', faults.errorRate],
    ['resetRate', faults.resetRate],
    ['hangRate', faults.hangRate],
    ['applyThen500Rate', faults.applyThen500Rate],
    ['latencyMs', faults.latencyMs],
    ['jitterMs', faults.jitterMs],
  ];
  for (const [name, value] of named) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new ConfigError(`fault option ${name} must be a non-negative number (got ${String(value)})`);
    }
  }
  if (rates.some((r) => (r ?? 0) > 1)) throw new ConfigError('fault rates must each be at most 1');
  const total = rates.reduce<number>((sum, r) => sum + (r ?? 0), 0);
  if (total > 1 + 1e-9) throw new ConfigError(`fault rates must sum to at most 1 (got ${total})`);
}

/**
 * Decides faults from a seeded PRNG. Every decision draws exactly two numbers whatever the outcome,
 * so the same seed and the same number of calls always give the same schedule.
 */
export class FaultInjector {
  #faults: FaultOptions;
  #random: () => number;

  constructor(faults: FaultOptions, seed: number) {
    validateFaults(faults);
    this.#faults = faults;
    this.#random = mulberry32(seed);
  }

  /** Replaces the fault options; a `seed` restarts the schedule, otherwise it continues. */
  set(faults: FaultOptions, seed?: number): void {
    validateFaults(faults);
    this.#faults = faults;
    if (seed !== undefined) this.#random = mulberry32(seed);
  }

  /** The fault for the next call. */
  next(): FaultDecision {
    const roll = this.#random();
    const jitterRoll = this.#random();
    const f = this.#faults;
    const delayMs = (f.latencyMs ?? 0) + Math.floor(jitterRoll * (f.jitterMs ?? 0));
    const errorRate = f.errorRate ?? 0;
    let edge = errorRate;
    // The lower half of the error band is 500, the upper half 503: no extra draw needed.
    if (roll < edge) return { kind: roll < errorRate / 2 ? 'internalError' : 'serviceUnavailable', delayMs };
    edge += f.resetRate ?? 0;
    if (roll < edge) return { kind: 'reset', delayMs };
    edge += f.hangRate ?? 0;
    if (roll < edge) return { kind: 'hang', delayMs };
    edge += f.applyThen500Rate ?? 0;
    if (roll < edge) return { kind: 'applyThen500', delayMs };
    return { kind: 'none', delayMs };
  }
}
