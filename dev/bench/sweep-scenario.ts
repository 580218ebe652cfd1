import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import { tagMatcher } from '../../lib/core/policy/tag-matcher.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import { type ActionStats, startEmulator } from '../emulator/server.ts';
import { binRates, type RateBins } from './rate-bins.ts';
import { MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from './run-strategy.ts';
import { LATENCY } from './scenarios.ts';
import { EXECUTOR_CONCURRENCY } from './strategies/index.ts';
import { buildSweepInventory, SWEEP_POLICY } from './sweep-inventory.ts';
import { type MinimumListCalls, minimumListCalls } from './sweep-minimum.ts';
import type { SweepRunMessage, SweepWorkerResult } from './sweep-worker.ts';
import { LIST_APIS, type ListApi } from './timed-inventory-client.ts';

/** Each listing API's limit L, calls per second: separate quotas, DescribeTags the tighter one. */
export const SWEEP_LIMITS: Readonly<Record<ListApi, { readonly maxQps: number; readonly burst: number }>> = {
  // Bursts of a tenth of a second, as in the RemoveTags scenarios.
  DescribeTags: { maxQps: 50, burst: 5 },
  ListTagResources: { maxQps: 100, burst: 10 },
};

/** ListTagResources rows per page: what ECS serves (about 50, inventory notes) and the emulator's default. */
export const SWEEP_PAGE_ROWS = 50;

const SWEEP_TIMEOUT_MS = 180_000;

/** One listing API in the sweep. */
export interface SweepApiResult {
  readonly api: ListApi;
  readonly limitQps: number;
  /** Calls the emulator accepted. */
  readonly calls: number;
  readonly throttled: number;
  /** Requests of any outcome, as the emulator counted them. */
  readonly requests: number;
  /** This API's listing window: its first request sent to its last answer. */
  readonly windowMs: number;
  /** calls ÷ L. */
  readonly idealMs: number;
  /** calls ÷ window, as a fraction of L. */
  readonly goodput: number;
  readonly throttledShare: number;
  /** Calls accepted within a second of this API's first request: the ramp. */
  readonly firstSecondCalls: number;
  /** For the picture, from the sweep's first request. */
  readonly bins: RateBins;
}

/** The sweep runs: the CLI's defaults (judged), and with one `--max-qps` for both APIs (for information). */
export const SWEEP_RUNS = [
  { id: 'sweep', maxQps: undefined, judged: true },
  { id: 'sweep --max-qps 100', maxQps: 100, judged: false },
] as const;

/** What the sweep scenario measured. */
export interface SweepResult {
  readonly id: string;
  /** The client's `--max-qps` (both APIs); undefined for none. */
  readonly maxQps: number | undefined;
  readonly judged: boolean;
  readonly resources: number;
  /** Resources carrying a tag the policy removes (before protection). */
  readonly matchingResources: number;
  readonly minimum: MinimumListCalls;
  /** List calls the sweep reported (its `listCalls`: pages it asked for, retries not counted). */
  readonly listCalls: number;
  /** Requests the emulator answered on both list APIs, throttled and retried ones included. */
  readonly requests: number;
  readonly apis: readonly SweepApiResult[];
  /** listAndPlanSweep from call to return. */
  readonly durationMs: number;
  readonly complete: boolean;
  readonly resourcesMatched: number;
  readonly tagsMatched: number;
  readonly protectedSkipped: number;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
}

/**
 * The sweep scenario: the account of sweep-inventory.ts in an emulator with per-API limits and the usual
 * latency (in this process), swept by a worker process with the CLI's defaults and the run's
 * `--max-qps`, and measured on both sides.
 */
export async function runSweepScenario(run: (typeof SWEEP_RUNS)[number]): Promise<SweepResult> {
  const { maxQps } = run;
  const inventory = buildSweepInventory();
  const parsed = parsePolicy(SWEEP_POLICY, 'bench-sweep.yaml');
  const minimum = minimumListCalls(inventory, parsed.policy, SWEEP_PAGE_ROWS);
  const matcher = tagMatcher(parsed.policy);
  const matchingResources = inventory.filter((r) =>
    Object.entries(r.tags).some(([k, v]) => matcher.removes(k, v)),
  ).length;
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    inventory: { resources: inventory },
    describeTagsMaxQps: SWEEP_LIMITS.DescribeTags.maxQps,
    describeTagsBurst: SWEEP_LIMITS.DescribeTags.burst,
    listTagResourcesMaxQps: SWEEP_LIMITS.ListTagResources.maxQps,
    listTagResourcesBurst: SWEEP_LIMITS.ListTagResources.burst,
    listPageSize: SWEEP_PAGE_ROWS,
    faults: LATENCY,
    seed: 1,
    recordCalls: false,
  });
  try {
    const worker = await runWorker({
      type: 'run',
      url: emulator.url,
      accessKeyId: EMULATOR_ACCESS_KEY_ID,
      accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
      policyText: SWEEP_POLICY,
      maxQps,
      concurrency: EXECUTOR_CONCURRENCY,
      maxAttempts: MAX_ATTEMPTS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    const byAction = emulator.stats().byAction;
    const origin = Math.min(...LIST_APIS.map((api) => worker.timelines[api].firstSentAt).filter(Number.isFinite));
    const apis = LIST_APIS.map((api) => apiResult(api, worker, byAction[api], origin));
    return {
      id: run.id,
      maxQps,
      judged: run.judged,
      resources: inventory.length,
      matchingResources,
      minimum,
      listCalls: worker.listCalls,
      requests: apis.reduce((n, a) => n + a.requests, 0),
      apis,
      durationMs: worker.durationMs,
      complete: worker.complete,
      resourcesMatched: worker.resourcesMatched,
      tagsMatched: worker.tagsMatched,
      protectedSkipped: worker.protectedSkipped,
      baselineRssBytes: worker.baselineRssBytes,
      peakRssBytes: worker.peakRssBytes,
    };
  } finally {
    await emulator.close();
  }
}

function apiResult(
  api: ListApi,
  worker: SweepWorkerResult,
  emulatorSide: ActionStats | undefined,
  origin: number,
): SweepApiResult {
  const timeline = worker.timelines[api];
  const limitQps = SWEEP_LIMITS[api].maxQps;
  const calls = emulatorSide?.ok ?? 0;
  const throttled = emulatorSide?.throttled ?? 0;
  const requests = calls + throttled + (emulatorSide?.errors ?? 0) + (emulatorSide?.dropped ?? 0);
  const windowMs = Math.max(1, timeline.lastDoneAt - timeline.firstSentAt);
  return {
    api,
    limitQps,
    calls,
    throttled,
    requests,
    windowMs,
    idealMs: (calls / limitQps) * 1000,
    goodput: calls / (windowMs / 1000) / limitQps,
    throttledShare: requests > 0 ? throttled / requests : 0,
    firstSecondCalls: timeline.okAt.filter((t) => t < timeline.firstSentAt + 1000).length,
    bins: binRates(origin, timeline.okAt, timeline.throttledAt),
  };
}

/** Bundles the worker, runs it in a plain `node` process (no TypeScript loader in its memory), returns its result. */
async function runWorker(order: SweepRunMessage): Promise<SweepWorkerResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-sweep-'));
  try {
    const worker = join(dir, 'sweep-worker.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./sweep-worker.ts', import.meta.url))],
      outfile: worker,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // pino calls require(); the Lambda bundle gets the same banner (see cold-start.ts).
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      logLevel: 'silent',
    });
    const child = fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return await new Promise<SweepWorkerResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`sweep worker exceeded ${SWEEP_TIMEOUT_MS} ms`));
      }, SWEEP_TIMEOUT_MS);
      child.once('message', (message: SweepWorkerResult) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sweep worker exited (code ${code}) without a result`));
      });
      child.send(order);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
