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
