/**
 * The sweep scenario's client, in a process of its own (an esbuild bundle run by plain `node`) so that
 * its peak memory is the sweep's: the parent runs the emulator and sends `run`; this lists and plans
 * with the real engine (listAndPlanSweep over a signed EcsClient) and answers `result`.
 */
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import { listAndPlanSweep } from '../../lib/engine/sweep/list-and-plan.ts';
import { createLogger } from '../../lib/logger.ts';
import { type ApiTimeline, type ListApi, TimedInventoryClient } from './timed-inventory-client.ts';
import { benchClock } from './timing-client.ts';

/** The parent's order: where to list, with which policy and executor settings (the CLI's defaults). */
export interface SweepRunMessage {
  readonly type: 'run';
  readonly url: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly policyText: string;
  readonly maxQps: number | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
}

/** What the worker measured. */
export interface SweepWorkerResult {
  readonly type: 'result';
  readonly timelines: Record<ListApi, ApiTimeline>;
  /** The engine's own figures, as the `sweep.summary` line reports them. */
  readonly listCalls: number;
  readonly throttled: number;
  readonly tagPairsSeen: number;
  readonly complete: boolean;
  readonly resourcesMatched: number;
  readonly tagsMatched: number;
  readonly protectedSkipped: number;
  readonly manifests: number;
  /** listAndPlanSweep from call to return, ms. */
  readonly durationMs: number;
  /** RSS before the sweep (code loaded, nothing listed). */
  readonly baselineRssBytes: number;
  /** Peak RSS of the whole process. */
  readonly peakRssBytes: number;
}

async function sweep(order: SweepRunMessage): Promise<SweepWorkerResult> {
  const parsed = parsePolicy(order.policyText, 'bench-sweep.yaml');
  const ecs = new EcsClient({
    endpoint: order.url,
    credentials: staticCredentials({ accessKeyId: order.accessKeyId, accessKeySecret: order.accessKeySecret }),
    requestTimeoutMs: order.requestTimeoutMs,
  });
  const client = new TimedInventoryClient(ecs);
  const baselineRssBytes = process.memoryUsage().rss;
  try {
    const t0 = benchClock();
    const result = await listAndPlanSweep(parsed, {
      client,
      logger: createLogger({ level: 'silent' }),
      regionIds: parsed.policy.regions,
      startedAt: Date.now(),
      force: false,
      maxResourcesPerManifest: 10_000, // the CLI's default (TAG_CLEANUP_MAX_RESOURCES)
      concurrency: order.concurrency,
      maxAttempts: order.maxAttempts,
      requestTimeoutMs: order.requestTimeoutMs,
      ...(order.maxQps !== undefined && { maxQps: order.maxQps }),
    });
    const durationMs = benchClock() - t0;
    return {
      type: 'result',
      timelines: client.timelines,
      listCalls: result.listCalls,
      throttled: result.throttled,
      tagPairsSeen: result.tagPairsSeen,
      complete: result.plan.incompletePartitions.length === 0,
      ...result.plan.counts,
      manifests: result.plan.manifests.length,
      durationMs,
      baselineRssBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    ecs.close();
  }
}

process.once('message', (order: SweepRunMessage) => {
  sweep(order).then(
    (result) => process.send?.(result, undefined, {}, () => process.disconnect()),
    (error: unknown) => {
      process.stderr.write(
        `sweep-worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
});
