/** The pictures BENCHMARKS.md shows, built from one run and written next to the bench (dev/bench/charts/). */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type RateChart, rateChartSvg } from './rate-chart.ts';
import type { BenchRun } from './report.ts';
import { LIMIT_QPS, SERVER_SCENARIOS } from './scenarios.ts';
import { STRATEGY_IDS, STRATEGY_LABELS } from './strategies/index.ts';

/** The server scenarios drawn, one picture each with a panel per strategy. */
const CHARTED_SCENARIOS = ['over-limit', 'fleet'] as const;

/** Where the pictures go, as BENCHMARKS.md (at the top level) links them. */
const CHARTS_FROM_ROOT = 'dev/bench/charts';
const CHARTS_DIR = fileURLToPath(new URL('./charts/', import.meta.url));

/** One picture: its file name, the alt text of its link, and the chart. */
export interface BenchChart {
  readonly file: string;
  readonly alt: string;
  readonly chart: RateChart;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The pictures of a run: over-limit and fleet (per strategy), and the judged sweep (per API). */
export function benchCharts(run: BenchRun): BenchChart[] {
  const charts: BenchChart[] = [];
  for (const id of CHARTED_SCENARIOS) {
    const scenario = SERVER_SCENARIOS.find((s) => s.id === id);
    const results = STRATEGY_IDS.map((strategy) =>
      run.server.find((r) => r.scenario === id && r.strategy === strategy),
    );
    if (scenario === undefined || results.some((r) => r === undefined)) continue;
    charts.push({
      file: `${id}.svg`,
      alt: `${id}: accepted and throttled RemoveTags calls per second over time, one panel per strategy`,
      chart: {
        title: `${id}: RemoveTags calls per second (${scenario.what})`,
        panels: results.flatMap((r) =>
          r === undefined
            ? []
            : [
                {
                  name: STRATEGY_LABELS[r.strategy],
                  note: `goodput ${r.goodput.toFixed(3)} × L, ${pct(r.throttledShare)} throttled, ${(r.wallMs / 1000).toFixed(1)} s`,
                  bins: r.bins,
                  limitQps: LIMIT_QPS,
                },
              ],
        ),
      },
    });
  }
  const sweep = run.sweep.find((r) => r.judged);
  if (sweep !== undefined) {
    charts.push({
      file: 'sweep.svg',
      alt: 'sweep: accepted and throttled list calls per second over time, one panel per listing API',
      chart: {
        title: `${sweep.id}: list calls per second, DescribeTags then ListTagResources`,
        panels: sweep.apis.map((a) => ({
          name: a.api,
          note: `${a.calls} calls, goodput ${a.goodput.toFixed(3)} × L, ${pct(a.throttledShare)} throttled`,
          bins: a.bins,
          limitQps: a.limitQps,
        })),
      },
    });
  }
  return charts;
}

/** The markdown image link of a picture, relative to BENCHMARKS.md. */
export function chartLink(chart: BenchChart): string {
  return `![${chart.alt}](${CHARTS_FROM_ROOT}/${chart.file})`;
}

/** Writes every picture of the run as an SVG file. */
export async function writeBenchCharts(run: BenchRun): Promise<string[]> {
  await mkdir(CHARTS_DIR, { recursive: true });
  const written: string[] = [];
  for (const chart of benchCharts(run)) {
    await writeFile(`${CHARTS_DIR}${chart.file}`, rateChartSvg(chart.chart));
    written.push(`${CHARTS_FROM_ROOT}/${chart.file}`);
  }
  return written;
}
