/**
 * How the send rate grows while callers wait for it: slow start until the first throttle, then CUBIC back
 * towards the last measured limit, flat near it, and an exponential probe beyond it after a quiet spell.
 * Pure functions of the elapsed time, so the controller only decides when growth applies.
 */

/**
 * CUBIC growth constant per s³, as a fraction of the ceiling (without one, of the last max): back at the
 * last max 1.2 s after a 5 % cut and 2.6 s after halving. Tied to the ceiling, every client of a fleet
 * sharing one configuration grows by the same calls per second, and equal additive growth against
 * proportional cuts is what drives them to equal shares.
 */
const CUBIC_SCALE = 0.03;
/** Slow start doubles the rate every 250 ms: from 10 to 1000 calls per second in under 2 s. */
const SLOW_START_DOUBLING_MS = 250;
/**
 * Once CUBIC has been back at the last max this long without a throttle, growth turns exponential, so
 * capacity freed by a neighbour or a raised quota is taken within seconds.
 */
const PROBE_AFTER_MS = 1000;
/** Doubling time of that exponential probe: it finds a doubled quota about 1.5 s after it starts. */
const PROBE_DOUBLING_MS = 500;

/** The rate after `elapsedMs` more of slow start, calls per second. */
export function slowStartRate(rateQps: number, elapsedMs: number): number {
  return rateQps * 2 ** (elapsedMs / SLOW_START_DOUBLING_MS);
}

/** Where the CUBIC curve starts from: the state at the last decrease. */
export interface CubicCurve {
  /** The limit measured (or assumed) at the last decrease, which the curve grows back to. */
  readonly lastMaxQps: number;
  /** The rate right after that decrease. */
  readonly rateAtDecreaseQps: number;
  readonly ceilingQps: number | undefined;
}

/** The rate on the curve `curveMs` after its origin (the last decrease, moved on by idle spells). */
export function cubicRate(curve: CubicCurve, curveMs: number): number {
  const wMax = curve.lastMaxQps;
  const c = CUBIC_SCALE * (curve.ceilingQps ?? wMax);
  const k = Math.cbrt(Math.max(0, wMax - curve.rateAtDecreaseQps) / c);
  const t = curveMs / 1000;
  const cubic = wMax + c * (t - k) ** 3;
  const probingS = t - k - PROBE_AFTER_MS / 1000;
  const exponential = probingS > 0 ? wMax * 2 ** ((probingS * 1000) / PROBE_DOUBLING_MS) : 0;
  return Math.max(cubic, exponential);
}
