/**
 * `npm run bench`: every scenario of the throughput and sweep issues, side by side, in one run. Prints the
 * tables and writes BENCHMARKS.md and its pictures (dev/bench/charts/). Options (after `--`):
 * `--only=at-limit,sweep,plan` runs a subset and writes nothing; `--no-write` prints only. BENCH_VERBOSE=1
 * adds per-run detail on stderr.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeBenchCharts } from './bench-charts.ts';
import { type ColdStartResult, runColdStartScenario } from './cold-start.ts';
import { type EventLatencyResult, formatEventLatency, runEventLatencyScenario } from './event-latency.ts';
import { markdown } from './markdown.ts';
import { runPlanScenario } from './plan-scenario.ts';
import { type BenchRun, judge, resultsTable } from './report.ts';
import { warmUp } from './run-strategy.ts';
import { SERVER_SCENARIOS } from './scenarios.ts';
import { runServerScenario, type ServerResult } from './server-scenario.ts';
import { STRATEGY_IDS, STRATEGY_LABELS } from './strategies/index.ts';
import { sweepCalls, sweepTables } from './sweep-report.ts';
import { runSweepScenario, SWEEP_RUNS, type SweepResult } from './sweep-scenario.ts';

const BENCHMARKS_PATH = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function commit(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const hash = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain']) !== '';
    return dirty ? `${hash} (with uncommitted changes)` : hash;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
  const write = only === undefined && !args.includes('--no-write');
  const wanted = (id: string) => only === undefined || only.has(id);
  const startedAt = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;

  log('warming up (not measured)…');
  await warmUp(STRATEGY_IDS);
  const server = await serverScenarios(wanted);
  const sweep = wanted('sweep') ? await sweepScenarios() : [];
  const plan = wanted('plan') ? await planScenario() : undefined;
  const coldStart = wanted('cold-start') ? await coldStartScenario() : undefined;
  const eventLatency = wanted('event-latency') ? await eventLatencyScenario() : undefined;
  if (!plan || !coldStart || sweep.length === 0) {
    // A partial run has no complete table to judge; the lines above are the result.
    if (sweep.length > 0) process.stdout.write(`\n${sweepTables(sweep)}\n`);
    return;
  }
  const run: BenchRun = {
    commit: commit(),
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    totalSeconds: (Date.now() - startedAt) / 1000,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    server,
    sweep,
    plan,
    coldStart,
    ...(eventLatency && { eventLatency }),
  };
  await report(run, write);
}

async function serverScenarios(wanted: (id: string) => boolean): Promise<ServerResult[]> {
  const server: ServerResult[] = [];
  for (const scenario of SERVER_SCENARIOS.filter((s) => wanted(s.id))) {
    for (const strategy of STRATEGY_IDS) {
      const result = await runServerScenario(scenario, strategy);
      server.push(result);
      log(
        `${scenario.id.padEnd(10)} ${STRATEGY_LABELS[strategy].padEnd(15)} goodput ${result.goodput.toFixed(3)} ` +
          `throttled ${(result.throttledShare * 100).toFixed(2)}% wall ${(result.wallMs / 1000).toFixed(1)} s ` +
          `failed ${result.failedResources}`,
      );
    }
  }
  return server;
}

async function sweepScenarios(): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  for (const sweepRun of SWEEP_RUNS) {
    const r = await runSweepScenario(sweepRun);
    results.push(r);
    log(
      `${r.id.padEnd(10)} list calls ${sweepCalls(r)} (minimum ${r.minimum.describeTags + r.minimum.listTagResources}), ` +
        r.apis.map((a) => `${a.api} goodput ${a.goodput.toFixed(3)} throttled ${a.throttled}`).join(', ') +
        `, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${(r.durationMs / 1000).toFixed(1)} s`,
    );
  }
  return results;
}

async function planScenario(): Promise<BenchRun['plan']> {
  const plan = await runPlanScenario();
  log(
    `plan       planManifest ${plan.plan.planMs.toFixed(0)} ms, peak RSS ${(plan.plan.peakRssBytes / 2 ** 20).toFixed(0)} MiB; ` +
      `from JSON: parse ${plan.parse.parseMs.toFixed(0)} ms + plan ${plan.parse.planMs.toFixed(0)} ms, peak ${(plan.parse.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  return plan;
}

async function eventLatencyScenario(): Promise<EventLatencyResult> {
  const result = await runEventLatencyScenario();
  for (const line of formatEventLatency(result)) log(line);
  return result;
}

async function coldStartScenario(): Promise<ColdStartResult> {
  const coldStart = await runColdStartScenario();
  log(
    `cold-start bundle ${(coldStart.bundleBytes / 1024).toFixed(0)} KiB, import median ${coldStart.medianImportMs.toFixed(0)} ms`,
  );
  return coldStart;
}

/** Prints the table and the verdicts; writes BENCHMARKS.md after a full run. */
async function report(run: BenchRun, write: boolean): Promise<void> {
  const verdicts = judge(run);
  process.stdout.write(`\n${resultsTable(run, verdicts)}\n\n${sweepTables(run.sweep)}\n\n`);
  for (const v of verdicts)
    process.stdout.write(`${v.pass ? 'pass' : 'MISS'}  ${v.scenario}: ${v.target}${v.pass ? '' : ` (${v.reason})`}\n`);
  if (write) {
    for (const file of await writeBenchCharts(run)) log(`wrote ${file}`);
    await writeFile(BENCHMARKS_PATH, markdown(run));
    log(`\nwrote ${BENCHMARKS_PATH} (${run.totalSeconds.toFixed(0)} s)`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
