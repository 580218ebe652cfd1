import type { FaultOptions } from '../emulator/server.ts';

/** The API's limit L in every server scenario, calls per second. */
export const LIMIT_QPS = 100;

/**
 * The emulator's burst allowance, in calls. A tenth of a second's worth: a per-second quota lets a
 * little burst through, and a small bucket punishes a bursty sender instead of hiding it. Every strategy
 * sees the same bucket.
 */
export const BURST = 10;

/** Emulator latency: 30 ms ± 5 ms, uniform. */
export const LATENCY: FaultOptions = { latencyMs: 25, jitterMs: 10 };

/** Resources per strategy run: 3 calls each, 1080 calls, about 11 s at L (the fleet: 8 × 45). */
export const RESOURCES = 360;

/** What a scenario must reach; undefined fields are not judged. */
export interface Targets {
  /** Goodput as a fraction of L, at least. */
  readonly goodput?: number;
  /** Throttled requests as a share of all requests, at most. */
  readonly throttledShare?: number;
  /** No resource may fail. */
  readonly noFailures?: boolean;
}

/** A scenario run against the emulator over HTTP, once per strategy. */
export interface ServerScenario {
  readonly id: string;
  readonly what: string;
  readonly faults: FaultOptions;
  /** The client's `--max-qps`; undefined for none. */
  readonly maxQps: number | undefined;
  /** Separate client processes sharing the limit (1: in the bench's own process). */
  readonly processes: number;
  readonly targets: Targets;
}

/** The server scenarios of the issue, in the order they are run and printed. */
export const SERVER_SCENARIOS: readonly ServerScenario[] = [
  {
    id: 'at-limit',
    what: 'overhead when configured right',
    faults: LATENCY,
    maxQps: 100,
    processes: 1,
    targets: { goodput: 0.97, throttledShare: 0.01 },
  },
  {
    id: 'over-limit',
    what: 'recovery when configured 4x too high',
    faults: LATENCY,
    maxQps: 400,
    processes: 1,
    targets: { goodput: 0.9, throttledShare: 0.05 },
  },
  {
    id: 'unknown',
    what: 'limit discovery (no --max-qps)',
    faults: LATENCY,
    maxQps: undefined,
    processes: 1,
    targets: { goodput: 0.85 },
  },
  {
    id: 'faults',
    what: 'retries without wasted quota (5% 500/503, 1% resets)',
    faults: { ...LATENCY, errorRate: 0.05, resetRate: 0.01 },
    maxQps: 100,
    processes: 1,
    targets: { noFailures: true },
  },
  {
    id: 'fleet',
    what: '8 processes share L, each --max-qps 100',
    faults: LATENCY,
    maxQps: 100,
    processes: 8,
    targets: { goodput: 0.85, throttledShare: 0.1 },
  },
];
