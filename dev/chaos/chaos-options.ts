import type { FaultOptions } from '../emulator/server.ts';
import type { ThrottleBursts } from './disruptions.ts';
import type { WorkloadOptions } from './workload.ts';

/** Everything a chaos run can vary. */
export interface ChaosOptions {
  readonly seed: number;
  readonly workload?: WorkloadOptions;
  /** Handler containers running at once. */
  readonly workers: number;
  /** `process`: each container is a forked child that can be SIGKILLed; `inline`: pollers in this process. */
  readonly mode: 'process' | 'inline';
  /** Emulator faults, all at once. */
  readonly faults: FaultOptions;
  /** The emulator's account-wide RemoveTags limit, calls per second. */
  readonly maxQps: number;
  /** Periodic drops of the limit to `factor` × maxQps. */
  readonly throttleBursts?: ThrottleBursts;
  /** Share of SendMessage(Batch) calls the proxy in front of fauxqs fails. */
  readonly sqsSendFailRate: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly functionTimeoutMs: number;
  readonly batchSize: number;
  /** Share of invocations whose remaining time is cut, and to how long. */
  readonly cut: { readonly rate: number; readonly minMs: number; readonly maxMs: number };
  /**
   * `process` mode: SIGKILL one busy container this long after the start (a replacement starts at once).
   * `inline` mode: the first invocation does its work, then fails before the poller deletes anything.
   */
  readonly crashAfterMs?: number;
  /** TAG_CLEANUP_* settings for the handler. */
  readonly handlerEnv: Readonly<Record<string, string>>;
  /** Give up waiting for the queues to drain after this long. */
  readonly timeLimitMs: number;
  /** How long the queue must stay empty to count as drained. @default 2000 */
  readonly idleMs?: number;
  /** Progress lines (stderr in the CLI). @default none */
  readonly progress?: (line: string) => void;
}

/** The full scenario of issue 5 §1. */
export function fullScenario(
  seed: number,
  manifests: number,
  workers: number,
  progress?: (line: string) => void,
): ChaosOptions {
  return {
    seed,
    workload: { manifests },
    workers,
    mode: 'process',
    faults: { errorRate: 0.1, resetRate: 0.03, hangRate: 0.01, applyThen500Rate: 0.02 },
    maxQps: 600,
    throttleBursts: { everyMs: 15_000, durationMs: 3_000, factor: 0.1 },
    sqsSendFailRate: 0.15,
    // Short, so that the killed container's messages come back soon; still above the function timeout.
    visibilityTimeoutSeconds: 15,
    maxReceiveCount: 6,
    functionTimeoutMs: 10_000,
    batchSize: 5,
    cut: { rate: 0.2, minMs: 3_000, maxMs: 6_000 },
    crashAfterMs: 8_000,
    handlerEnv: {
      TAG_CLEANUP_REQUEST_TIMEOUT_MS: '1500',
      TAG_CLEANUP_DEADLINE_MARGIN_MS: '2000',
      TAG_CLEANUP_MAX_CONTINUATIONS: '50',
      TAG_CLEANUP_CONCURRENCY: '32',
      TAG_CLEANUP_MAX_ATTEMPTS: '6',
      TAG_CLEANUP_LOG_LEVEL: 'info',
    },
    timeLimitMs: 9 * 60_000,
    idleMs: 3_000,
    ...(progress && { progress }),
  };
}
