/** When an invocation must stop starting work, so that hand-off and logging still fit before Lambda stops it. */

/**
 * The share of the remaining time kept back when that is less than the configured margin. A third: the
 * work itself cannot overrun the deadline (requests in flight are cut at it), so what the margin must hold
 * is the hand-off, one SQS send of a few tens of ms with its retries, and the summary lines. A third of a
 * 3 s timeout (1 s) holds that with room to spare, and two thirds of every invocation still go to calls;
 * a smaller share risks a slow send on a cold connection, a larger one wastes short invocations.
 */
export const MARGIN_SHARE_OF_REMAINING = 1 / 3;

/**
 * The safety margin for an invocation with `remainingMs` left: the configured margin, or a third of the
 * remaining time when that is smaller, so that a function timeout shorter than the configured margin
 * (15 s by default) still makes progress instead of handing all its work on untouched.
 */
export function effectiveMarginMs(configuredMarginMs: number, remainingMs: number): number {
  return Math.min(configuredMarginMs, Math.max(0, remainingMs) * MARGIN_SHARE_OF_REMAINING);
}

/** Epoch ms after which no call starts: now, plus the remaining time, less the {@link effectiveMarginMs}. */
export function invocationDeadlineAt(nowMs: number, remainingMs: number, configuredMarginMs: number): number {
  return Math.floor(nowMs + remainingMs - effectiveMarginMs(configuredMarginMs, remainingMs));
}
