/** Calls per time bin, for the pictures: accepted and throttled calls by when they were sent. */

/** Bin width of every chart: fine enough to show a ramp of a few hundred ms, coarse enough to be steady. */
export const BIN_MS = 250;

/** Accepted and throttled calls per bin from the first request on; a bin's rate is its count × 1000 ÷ binMs. */
export interface RateBins {
  readonly binMs: number;
  readonly ok: readonly number[];
  readonly throttled: readonly number[];
}

/** Bins the send times (epoch ms) of accepted and throttled calls from `originMs`, {@link BIN_MS} wide. */
export function binRates(originMs: number, okAt: readonly number[], throttledAt: readonly number[]): RateBins {
  // A loop, not Math.max(...times): a long run's times would overflow the argument list.
  let last = originMs;
  for (const t of [okAt, throttledAt].flat()) if (t > last) last = t;
  const bins = Math.max(1, Math.floor((last - originMs) / BIN_MS) + 1);
  const count = (times: readonly number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const t of times) {
      const i = Math.floor((t - originMs) / BIN_MS);
      if (i >= 0 && i < bins) counts[i] = (counts[i] ?? 0) + 1;
    }
    return counts;
  };
  return { binMs: BIN_MS, ok: count(okAt), throttled: count(throttledAt) };
}
