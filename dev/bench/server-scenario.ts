import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server.ts';
import type { EmulatorStats } from '../emulator/stats.ts';
import type { FleetRunMessage, FleetWorkerMessage } from './fleet-worker.ts';
import { type ClientSummary, percentile } from './metrics.ts';
import { binRates, type RateBins } from './rate-bins.ts';
import { runStrategy } from './run-strategy.ts';
import { BURST, LIMIT_QPS, RESOURCES, type ServerScenario } from './scenarios.ts';
import type { StrategyId } from './strategies/index.ts';
import { buildWorkload, type Workload } from './workload.ts';

/** One row of the table: a scenario run with one strategy. */
export interface ServerResult {
  readonly scenario: string;
  readonly strategy: StrategyId;
  readonly calls: number;
  /** Accepted calls per second over the active window, as a fraction of L. */
  readonly goodput: number;
  /** Throttled answers ÷ all requests, both counted by the emulator. */
  readonly throttledShare: number;
  /** First send to last answer. */
  readonly wallMs: number;
  /** calls ÷ L. */
  readonly idealMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failedResources: number;
  readonly requests: number;
  readonly throttled: number;
  /** Accepted and throttled calls over time, by when the client sent them, for the pictures. */
  readonly bins: RateBins;
}

/** Bound on a fleet run, children included; they are killed past it. */
const FLEET_TIMEOUT_MS = 120_000;

/** Starts a fresh emulator (full bucket, fresh inventory), runs one strategy, and measures both sides. */
export async function runServerScenario(scenario: ServerScenario, strategy: StrategyId): Promise<ServerResult> {
  const perProcess = Math.floor(RESOURCES / scenario.processes);
  const workloads = Array.from({ length: scenario.processes }, (_, i) =>
    buildWorkload(`${scenario.id}-${strategy}-${i}-`, perProcess),
  );
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: 0,
    inventory: { resources: workloads.flatMap((w) => w.inventory) },
    maxQps: LIMIT_QPS,
    burst: BURST,
    faults: scenario.faults,
    seed: 1,
    recordCalls: false,
  });
  try {
    const idealQps = LIMIT_QPS / scenario.processes;
    const summaries =
      scenario.processes === 1
        ? [
            await runStrategy({
              strategy,
              url: emulator.url,
              workload: workloads[0] as Workload,
              maxQps: scenario.maxQps,
              idealQps,
            }),
          ]
        : await runFleet(emulator.url, scenario, strategy, perProcess, idealQps);
    const stats = emulator.stats();
    const firstSentAt = Math.min(...summaries.map((s) => s.firstSentAt));
    const lastDoneAt = Math.max(...summaries.map((s) => s.lastDoneAt));
    const wallMs = Math.max(1, lastDoneAt - firstSentAt);
    const calls = workloads.reduce((n, w) => n + w.calls, 0);
    const latencies = summaries.flatMap((s) => s.addedLatenciesMs);
    if (process.env.BENCH_VERBOSE) printDetails(`${scenario.id}/${strategy}`, latencies, stats, summaries, firstSentAt);
    return {
      scenario: scenario.id,
      strategy,
      calls,
      goodput: stats.accepted / (wallMs / 1000) / LIMIT_QPS,
      throttledShare: stats.requests > 0 ? stats.throttled / stats.requests : 0,
      wallMs,
      idealMs: (calls / LIMIT_QPS) * 1000,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      failedResources: summaries.reduce((n, s) => n + s.failedResources, 0),
      requests: stats.requests,
      throttled: stats.throttled,
      bins: binRates(
        firstSentAt,
        summaries.flatMap((s) => s.okSentAt),
        summaries.flatMap((s) => s.throttledSentAt),
      ),
    };
  } finally {
    await emulator.close();
  }
}

/** BENCH_VERBOSE=1: latency percentiles, the per-second counts and each client's span, on stderr. */
function printDetails(
  label: string,
  latencies: readonly number[],
  stats: EmulatorStats,
  summaries: readonly ClientSummary[],
  firstSentAt: number,
): void {
  const ps = [10, 25, 50, 75, 90, 99].map((p) => `p${p}=${percentile(latencies, p).toFixed(0)}`);
  process.stderr.write(`  ${label} added latency ms: ${ps.join(' ')}\n`);
  process.stderr.write(`    accepted/s:  ${stats.perSecond.map((x) => x.ok).join(' ')}\n`);
  process.stderr.write(`    throttled/s: ${stats.perSecond.map((x) => x.throttled).join(' ')}\n`);
  for (const [i, s] of summaries.entries()) {
    process.stderr.write(
      `    client ${i}: first send +${(s.firstSentAt - firstSentAt).toFixed(0)} ms, last answer +${(s.lastDoneAt - firstSentAt).toFixed(0)} ms, ${s.requests} requests\n`,
    );
    if (s.rateTrace) process.stderr.write(`      rate: ${s.rateTrace.map((r) => r.toFixed(0)).join(' ')}\n`);
  }
}

/** Forks one worker per process, starts them together, and collects their summaries. */
async function runFleet(
  url: string,
  scenario: ServerScenario,
  strategy: StrategyId,
  resources: number,
  idealQps: number,
): Promise<ClientSummary[]> {
  const workerPath = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url));
  const children: ChildProcess[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const results = Array.from({ length: scenario.processes }, (_, i) => {
      const child = fork(workerPath, [], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const order: FleetRunMessage = {
        type: 'run',
        strategy,
        url,
        prefix: `${scenario.id}-${strategy}-${i}-`,
        resources,
        maxQps: scenario.maxQps,
        idealQps,
      };
      let onReady: () => void = () => {};
      let onExit: (error: Error) => void = () => {};
      const ready = new Promise<void>((resolve, reject) => {
        onReady = resolve;
        onExit = reject;
      });
      const result = new Promise<ClientSummary>((resolve, reject) => {
        child.on('message', (message: FleetWorkerMessage) => {
          if (message.type === 'ready') onReady();
          else resolve(message.summary);
        });
        child.once('exit', (code) => {
          const error = new Error(`fleet worker ${i} exited (code ${code}) before its result`);
          onExit(error);
          reject(error);
        });
      });
      // Whichever of these is not awaited (timeout, early exit) must not become an unhandled rejection.
      ready.catch(() => undefined);
      result.catch(() => undefined);
      child.send(order);
      return { child, ready, result };
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fleet run exceeded ${FLEET_TIMEOUT_MS} ms`)), FLEET_TIMEOUT_MS);
    });
    await Promise.race([Promise.all(results.map((r) => r.ready)), timeout]);
    for (const r of results) r.child.send({ type: 'go' });
    return await Promise.race([Promise.all(results.map((r) => r.result)), timeout]);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
