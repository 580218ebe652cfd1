import type { RemoveTagsClient } from '../../../lib/core/ports.ts';
import { AdaptiveRateController } from '../../../lib/engine/rate-controller.ts';
import { AwsSdkLimitedClient } from './aws-sdk.ts';
import { FixedRate } from './fixed-rate.ts';

/** The three strategies every server scenario runs. */
export const STRATEGY_IDS = ['project', 'aws-sdk', 'naive'] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];

/** Human names for the table. */
export const STRATEGY_LABELS: Readonly<Record<StrategyId, string>> = {
  project: 'this project',
  'aws-sdk': 'AWS SDK limiter',
  naive: 'naive',
};

/** Calls in flight at most for the rate-limited strategies: the config default, a safety bound. */
export const EXECUTOR_CONCURRENCY = 64;

/** The naive baseline's fixed concurrency: "a handful in parallel", chosen without knowing the limit. */
export const NAIVE_CONCURRENCY = 10;

/** What the executor is built from for one strategy; retries and backoff are the executor's for all. */
export interface Strategy {
  readonly rate: AdaptiveRateController;
  readonly concurrency: number;
  /** Wraps the signed (and timed) client, e.g. in the AWS SDK limiter. */
  readonly wrap: (client: RemoveTagsClient) => RemoveTagsClient;
}

/**
 * Builds a strategy for a client configured with `maxQps` (undefined: no `--max-qps`).
 * - project: the adaptive controller, `maxQps` as its ceiling.
 * - aws-sdk: DefaultRateLimiter per attempt, under a fixed pacer at `maxQps` (the operator's ceiling;
 *   the SDK limiter has no ceiling of its own).
 * - naive: fixed concurrency, no pacing; `maxQps` is ignored.
 */
export function makeStrategy(id: StrategyId, maxQps: number | undefined): Strategy {
  switch (id) {
    case 'project': {
      const rate = new AdaptiveRateController(maxQps === undefined ? {} : { maxQps });
      return { rate, concurrency: EXECUTOR_CONCURRENCY, wrap: (client) => client };
    }
    case 'aws-sdk':
      return {
        rate: new FixedRate(maxQps),
        concurrency: EXECUTOR_CONCURRENCY,
        wrap: (client) => new AwsSdkLimitedClient(client),
      };
    case 'naive':
      return { rate: new FixedRate(undefined), concurrency: NAIVE_CONCURRENCY, wrap: (client) => client };
  }
}
