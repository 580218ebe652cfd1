import { type BenchChart, benchCharts, chartLink } from './bench-charts.ts';
import { formatEventLatency } from './event-latency.ts';
import { type BenchRun, judge, notes, resultsTable } from './report.ts';
import { BURST, LIMIT_QPS, RESOURCES } from './scenarios.ts';
import { EXECUTOR_CONCURRENCY, NAIVE_CONCURRENCY } from './strategies/index.ts';
import { sweepNotes, sweepSetupLines, sweepTables } from './sweep-report.ts';
import { CALLS_PER_RESOURCE, TAGS_PER_RESOURCE } from './workload.ts';

/** The sweep's picture goes in the sweep section; the others under Pictures. */
const SWEEP_CHART = 'sweep.svg';

/** The whole BENCHMARKS.md. */
export function markdown(run: BenchRun): string {
  const verdicts = judge(run);
  const met = verdicts.filter((v) => v.pass).length;
  const noteList = [...notes(run, verdicts), ...sweepNotes(run.sweep, verdicts)];
  const charts = benchCharts(run);
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (dev/bench/run.ts), pictures included; rerun it rather than editing this file.',
    '',
    `- commit \`${run.commit}\`, ${run.date}`,
    `- Node ${run.node}, ${run.cores} cores (${run.cpu}); the whole bench took ${run.totalSeconds.toFixed(0)} s`,
    `- 1-minute load average ${run.loadAverage.start.toFixed(2)} at the start, ${run.loadAverage.end.toFixed(2)} at the ` +
      'end (the bench keeps about one core busy itself; more means other work shared the machine and the timings ' +
      'are noisier)',
    '',
    ...setupSection(),
    '',
    ...measuresSection(),
    '',
    '## Results',
    '',
    resultsTable(run, verdicts),
    '',
    ...picturesSection(charts.filter((c) => c.file !== SWEEP_CHART)),
    ...sweepSection(
      run,
      charts.filter((c) => c.file === SWEEP_CHART),
    ),
    ...eventLatencySection(run),
    `## Targets (${met} of ${verdicts.length} met)`,
    '',
    '| scenario | target | result |',
    '|---|---|---|',
    ...verdicts.map((v) => `| ${v.scenario} | ${v.target} | ${v.pass ? 'pass' : `**miss**: ${v.reason}`} |`),
    '',
    ...(noteList.length > 0 ? ['## Notes', '', ...noteList.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}

function eventLatencySection(run: BenchRun): string[] {
  if (run.eventLatency === undefined) return [];
  return [
    '## Event latency',
    '',
    'Issue 11: CloudEvents POSTed at a steady rate to the ingest endpoint of the local stack (`npm run local`: ' +
      'fauxqs, the emulator, the real ingest, events and cleanup handlers in Lambda-like pollers), timed until ' +
      'the tag is gone in the emulator. The events batching window is a setting (1 s deployed) and is 0 here.',
    '',
    '```',
    ...formatEventLatency(run.eventLatency),
    '```',
    '',
  ];
}

function picturesSection(charts: readonly BenchChart[]): string[] {
  if (charts.length === 0) return [];
  return [
    '## Pictures',
    '',
    'Calls per second as the emulator judged them, by when the client sent them (250 ms bins): accepted in blue, ' +
      'throttled stacked on top in orange, so a bar is everything sent in that bin; the dashed line is L.',
    '',
    ...charts.flatMap((c) => [chartLink(c), '']),
  ];
}

function sweepSection(run: BenchRun, charts: readonly BenchChart[]): string[] {
  if (run.sweep.length === 0) return [];
  return [
    '## Sweep',
    '',
    "Issue 10: listing a policy's inventory (DescribeTags, then ListTagResources by the matching keys), under " +
      'one rate controller per API.',
    '',
    ...sweepSetupLines(run.sweep),
    '',
    sweepTables(run.sweep),
    '',
    ...charts.flatMap((c) => [chartLink(c), '']),
  ];
}

function setupSection(): string[] {
  return [
    '## Setup (RemoveTags scenarios)',
    '',
    `- The project's ECS emulator over HTTP on 127.0.0.1, flow control L = ${LIMIT_QPS} calls/s with a burst of ` +
      `${BURST} calls (a token bucket, full at the start). A tenth of a second's burst: a per-second quota lets a ` +
      'little through, and a small bucket shows a bursty sender up instead of hiding it. Latency 25–35 ms (30 ± 5), ' +
      'added after flow control, so a throttled answer comes back at once.',
    `- Each server scenario runs ${RESOURCES} disks × ${TAGS_PER_RESOURCE} tags = ${RESOURCES * CALLS_PER_RESOURCE} ` +
      `RemoveTags calls (${CALLS_PER_RESOURCE} per resource, in order) per strategy, ideal ${(RESOURCES * CALLS_PER_RESOURCE) / LIMIT_QPS} s ` +
      'at L, against a fresh emulator. The fleet splits the same work over 8 processes (forked, each with its own ' +
      'controller and client), started together.',
    '- Strategies, all through the real pipeline (`runManifests` → `Executor` → signed `EcsClient`) with the same ' +
      'retry policy (6 attempts, capped exponential backoff with full jitter: 100 ms base, 500 ms after a throttle):',
    `  - **this project**: the adaptive controller (lib/engine/rate-controller.ts), \`--max-qps\` as its ceiling, concurrency cap ${EXECUTOR_CONCURRENCY};`,
    '  - **AWS SDK limiter**: `DefaultRateLimiter` from @smithy/util-retry, used as its AdaptiveRetryStrategy uses it ' +
      '(a send token before every attempt, every answer fed back, Alibaba `Throttling*` mapped to its THROTTLING ' +
      `type), under a fixed pacer at \`--max-qps\` since it has no ceiling of its own; concurrency cap ${EXECUTOR_CONCURRENCY};`,
    `  - **naive**: fixed concurrency ${NAIVE_CONCURRENCY}, no pacing (\`--max-qps\` ignored), the same retries.`,
  ];
}

function measuresSection(): string[] {
  return [
    '## Measures',
    '',
    '- **goodput**: calls the emulator accepted ÷ the active window, as a fraction of L. The window runs from the ' +
      'first request sent to the last answer received, ramp and tail included.',
    '- **throttled**: `Throttling.User` answers ÷ all requests, both counted by the emulator.',
    '- **wall / ideal**: the active window against calls ÷ L.',
    '- **p50 / p99 added**: client-added latency per successful call. A call *wants to send* when the pipeline ' +
      "hands it to the executor (at the start for a resource's first call, when the previous call of the same " +
      'resource succeeded for the next). A perfect client sends calls first come first served at exactly L (the ' +
      'fleet: L ÷ 8 per process), never throttled and never retrying; its k-th call starts at max(wants_k, ' +
      'start_(k−1) + 1/L). The added latency is when the attempt that succeeded was handed to the HTTP client minus ' +
      "when the perfect client would have sent it, floored at 0. The emulator's own time (that attempt's round trip) " +
      'is thereby left out, and so is the queueing any client must do while more work is ready than L allows. What ' +
      'remains: pacing error, time lost to throttled or failed attempts and their backoff, and any rate below L. ' +
      "The executor's probe (the first call goes out alone) adds one round trip to every call. In `faults` the " +
      "perfect client's schedule ignores the 6% of requests that fail and still use quota, so every client lags it.",
    '- **failed**: resources whose outcome is not `removed`.',
  ];
}
