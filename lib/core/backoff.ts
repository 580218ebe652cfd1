/** How retries spread out: a capped exponential step with a share of it left to chance. */
export interface BackoffPolicy {
  /** The first step, before any doubling, in ms. */
  readonly baseDelayMs: number;
  /** No step exceeds this, in ms. */
  readonly maxDelayMs: number;
  /**
   * The random share of each step: 1 is full jitter (anywhere in [0, step)), 0.5 is half fixed and half
   * random (never retries at once, still spreads a fleet).
   */
  readonly jitterShare: number;
}

/**
 * The one backoff function of the project (executor retries, SQS sends, hand-off delays).
 * @param retry 1 for the first retry, 2 for the second, ...
 * @param random uniform in [0, 1), injected so tests are deterministic
 * @returns the delay before that retry, in ms
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return step * (1 - policy.jitterShare) + random() * step * policy.jitterShare;
}
