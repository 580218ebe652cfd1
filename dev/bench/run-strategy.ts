import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { runManifests } from '../../lib/engine/run-manifests.ts';
import { createLogger } from '../../lib/logger.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import { startEmulator } from '../emulator/server.ts';
import { addedLatencies, type ClientSummary } from './metrics.ts';
import { makeStrategy, type StrategyId } from './strategies/index.ts';
import { benchClock, TimingClient } from './timing-client.ts';
import { buildWorkload, type Workload } from './workload.ts';

/** The retry policy every strategy shares: the executor's, with the job's defaults. */
export const MAX_ATTEMPTS = 6;
export const REQUEST_TIMEOUT_MS = 10_000;

/** Upper bound on one strategy run; calls not started by then give up (and count as failed). */
export const RUN_DEADLINE_MS = 60_000;

export interface StrategyRunInput {
  readonly strategy: StrategyId;
  readonly url: string;
  readonly workload: Workload;
  /** The client's `--max-qps`; undefined for none. */
  readonly maxQps: number | undefined;
  /** The rate a perfect client would get: L, or this process's share of it. */
  readonly idealQps: number;
}

/** Runs the workload through the real pipeline (runManifests → Executor → EcsClient) with one strategy. */
export async function runStrategy(input: StrategyRunInput): Promise<ClientSummary> {
  const strategy = makeStrategy(input.strategy, input.maxQps);
  const ecs = new EcsClient({
    endpoint: input.url,
    credentials: staticCredentials({
      accessKeyId: EMULATOR_ACCESS_KEY_ID,
      accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
    }),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const timing = new TimingClient(ecs);
  const rateTrace: number[] = [];
  const tracer = process.env.BENCH_TRACE ? setInterval(() => rateTrace.push(strategy.rate.rateQps), 250) : undefined;
  try {
    const report = await runManifests([input.workload.manifest], {
      client: strategy.wrap(timing),
      logger: createLogger({ level: 'silent' }),
      executor: {
        rate: strategy.rate,
        concurrency: strategy.concurrency,
        maxAttempts: MAX_ATTEMPTS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        deadlineAt: Date.now() + RUN_DEADLINE_MS,
      },
    });
    let firstSentAt = Number.POSITIVE_INFINITY;
    let lastDoneAt = Number.NEGATIVE_INFINITY;
    let requests = 0;
    const okSentAt: number[] = [];
    const throttledSentAt: number[] = [];
    for (const list of timing.attempts.values()) {
      for (const attempt of list) {
        firstSentAt = Math.min(firstSentAt, attempt.sentAt);
        lastDoneAt = Math.max(lastDoneAt, attempt.doneAt);
        requests++;
        if (attempt.outcome === 'ok') okSentAt.push(attempt.sentAt);
        else if (attempt.outcome === 'throttle') throttledSentAt.push(attempt.sentAt);
      }
    }
    if (requests === 0) firstSentAt = lastDoneAt = benchClock();
    return {
      firstSentAt,
      lastDoneAt,
      addedLatenciesMs: addedLatencies(input.workload.manifest, timing.attempts, firstSentAt, input.idealQps),
      failedResources: report.outcomes.filter((o) => o.outcome !== 'removed').length,
      requests,
      okSentAt,
      throttledSentAt,
      ...(tracer && { rateTrace }),
    };
  } finally {
    clearInterval(tracer);
    ecs.close();
  }
}

/**
 * Runs a few calls of every strategy against a throwaway, unlimited emulator so that the first measured
 * run does not pay this process's one-off costs (JIT, first socket, first signature: about 40 ms).
 */
export async function warmUp(strategies: readonly StrategyId[]): Promise<void> {
  const workload = buildWorkload('warm-up-', 20);
  for (const strategy of strategies) {
    const emulator = await startEmulator({
      host: '127.0.0.1',
      port: 0,
      inventory: { resources: workload.inventory },
      recordCalls: false,
    });
    try {
      await runStrategy({ strategy, url: emulator.url, workload, maxQps: 1000, idealQps: 1000 });
    } finally {
      await emulator.close();
    }
  }
}
