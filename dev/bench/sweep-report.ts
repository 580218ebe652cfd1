/** The sweep scenario's verdicts, table and setup text for the report and BENCHMARKS.md. */
import type { Verdict } from './report.ts';
import { SWEEP_MATCHING_SHARE, SWEEP_RESOURCES, SWEEP_TYPE_COUNTS } from './sweep-inventory.ts';
import { SWEEP_LIMITS, SWEEP_PAGE_ROWS, type SweepResult } from './sweep-scenario.ts';
import type { ListApi } from './timed-inventory-client.ts';

/** At most this many list calls per minimum list call. */
export const SWEEP_CALLS_TARGET = 1.2;
/** Each API's goodput over its own listing window, as a fraction of its L, at least. */
export const SWEEP_GOODPUT_TARGET = 0.9;
export const SWEEP_TARGET_BYTES = 300 * 1024 * 1024;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** List calls the emulator accepted on both APIs: the pages read. */
export function sweepCalls(r: SweepResult): number {
  return r.apis.reduce((n, a) => n + a.calls, 0);
}

function minimumOf(r: SweepResult): number {
  return r.minimum.describeTags + r.minimum.listTagResources;
}

/** The sweep's targets, judged on the runs marked `judged`. */
export function judgeSweep(results: readonly SweepResult[]): Verdict[] {
  return results
    .filter((r) => r.judged)
    .flatMap((r) => {
      const ratio = sweepCalls(r) / minimumOf(r);
      const verdicts: Verdict[] = [
        {
          scenario: r.id,
          target: `list calls ≤ ${SWEEP_CALLS_TARGET} × the minimum`,
          pass: ratio <= SWEEP_CALLS_TARGET,
          reason: `${sweepCalls(r)} calls, ${ratio.toFixed(2)} × the minimum ${minimumOf(r)}`,
        },
        ...r.apis.map((a) => ({
          scenario: r.id,
          target: `${a.api} listing ≥ ${SWEEP_GOODPUT_TARGET} of its L`,
          pass: a.goodput >= SWEEP_GOODPUT_TARGET,
          reason: `${a.goodput.toFixed(3)} of L = ${a.limitQps}/s: ${a.calls} calls in ${s1(a.windowMs)}, ideal ${s1(a.idealMs)}`,
        })),
        {
          scenario: r.id,
          target: `peak memory ≤ ${mib(SWEEP_TARGET_BYTES)} (sweep process peak RSS)`,
          pass: r.peakRssBytes <= SWEEP_TARGET_BYTES,
          reason: mib(r.peakRssBytes),
        },
      ];
      if (!r.complete) {
        verdicts.push({ scenario: r.id, target: 'listing complete', pass: false, reason: 'a partition failed' });
      }
      return verdicts.map((v) => (v.pass ? { ...v, reason: '' } : v));
    });
}

/** The sweep tables: one row per run and API, then one per run with the totals. */
export function sweepTables(results: readonly SweepResult[]): string {
  const perApi = [
    '| run | API | L | calls accepted (minimum) | throttled | listing window / ideal (calls ÷ L) | goodput (× L) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...results.flatMap((r) =>
      r.apis.map((a) => {
        const minimum = a.api === 'DescribeTags' ? r.minimum.describeTags : r.minimum.listTagResources;
        return (
          `| ${r.id} | ${a.api} | ${a.limitQps}/s | ${a.calls} (${minimum}) | ${a.throttled} (${pct(a.throttledShare)}) | ` +
          `${(a.windowMs / a.idealMs).toFixed(3)} (${s1(a.windowMs)} / ${s1(a.idealMs)}) | ${a.goodput.toFixed(3)} |`
        );
      }),
    ),
  ];
  const totals = [
    '| run | list calls / minimum | requests (throttled included) | sweep duration | resources to change (protected) | peak RSS (at start) | complete |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.id} | ${(sweepCalls(r) / minimumOf(r)).toFixed(3)} (${sweepCalls(r)} / ${minimumOf(r)}) | ${r.requests} | ` +
        `${s1(r.durationMs)} | ${r.resourcesMatched.toLocaleString('en-US')} (${r.protectedSkipped}) | ` +
        `${mib(r.peakRssBytes)} (${mib(r.baselineRssBytes)}) | ${r.complete ? 'yes' : '**no**'} |`,
    ),
  ];
  return [...perApi, '', ...totals].join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** How the sweep scenario is set up and measured, for BENCHMARKS.md. */
export function sweepSetupLines(results: readonly SweepResult[]): string[] {
  const r = results[0];
  if (r === undefined) return [];
  const { DescribeTags: d, ListTagResources: l } = SWEEP_LIMITS;
  return [
    `- **The account**: ${SWEEP_RESOURCES.toLocaleString('en-US')} resources in one region (` +
      SWEEP_TYPE_COUNTS.map(([type, count]) => `${count.toLocaleString('en-US')} ${type}`).join(', ') +
      '), each with env, owner, cost-center and app ' +
      'tags, 40% with a release tag (10,000 values), 30% with a resource-group system tag, 1% with the protect tag. ' +
      `${r.matchingResources.toLocaleString('en-US')} (${(SWEEP_MATCHING_SHARE * 100).toFixed(0)}%) carry a tag the ` +
      'policy removes: tmp (800 values), ci-run, ci-pipeline, one of 40 build-N keys, or env=legacy; a tenth of them two. ' +
      `${r.minimum.tagPairs.toLocaleString('en-US')} distinct pairs. Seeded: every run lists the same account.`,
    '- **The policy**: remove `tmp`, prefix `ci-`, pattern `^build-[0-9]+$`, `env` = legacy; protect ' +
      '`tag-cleanup:protect=true`; all five resource types.',
    `- **The emulator**: flow control per API, DescribeTags L = ${d.maxQps}/s (burst ${d.burst}), ListTagResources ` +
      `L = ${l.maxQps}/s (burst ${l.burst}), ${SWEEP_PAGE_ROWS} rows a ListTagResources page, latency 25–35 ms as above.`,
    "- **The client**: `listAndPlanSweep` (lib/engine/sweep) over the signed `EcsClient`, with the CLI's defaults " +
      '(an adaptive controller per API, concurrency 64, 6 attempts), in a separate plain `node` process (an esbuild ' +
      'bundle) whose peak RSS is the memory figure. `sweep` sets no `--max-qps` (each limit is discovered, as the ' +
      'scheduled Lambda does by default) and is judged; `sweep --max-qps 100` gives both APIs a ceiling of 100, right ' +
      "for ListTagResources and twice DescribeTags' limit, for information.",
    `- **The minimum list calls** (${r.minimum.describeTags} + ${r.minimum.listTagResources} = ` +
      `${minimumOf(r)} here), computed from the account by the bench, which knows every row: DescribeTags, ` +
      'ceil(distinct pairs ÷ 100), its largest page; ListTagResources, for each chain a sweep must walk, ' +
      `ceil(its rows ÷ ${SWEEP_PAGE_ROWS}) (a call filters by one key, Tag.N filters are ANDed, and it returns every ` +
      'tag of each resource it matches). The chains: per resource type, each key with a matching tag (or each matching ' +
      'value of it, when only some values match and that takes fewer pages), and, where there are candidates, ' +
      'protection: one chain per protect rule, or the candidates by id, whichever is fewer pages ' +
      `(${r.minimum.chains} chains, ${r.minimum.rows.toLocaleString('en-US')} rows). Retries of throttled calls are ` +
      'not list calls; the requests column counts them.',
    '- **Measures per API**: its listing window runs from its first request sent to its last answer received; ' +
      'goodput is calls accepted ÷ that window, as a fraction of its L; ideal is calls ÷ L.',
  ];
}

/** Why the listing itself is not what holds an API back: how it keeps the controller supplied with calls. */
const LISTING_SHAPE: Readonly<Record<ListApi, string>> = {
  DescribeTags:
    'The listing asks for every remaining page at once after the first (which gives the total), so the ' +
    'controller always has calls waiting.',
  ListTagResources:
    'The NextToken chains run side by side, the longest served first, so the controller always has calls waiting ' +
    'and no chain is left to run alone at the end.',
};

/** Plain-language notes on the sweep's missed targets. */
export function sweepNotes(results: readonly SweepResult[], verdicts: readonly Verdict[]): string[] {
  const out: string[] = [];
  for (const r of results.filter((x) => x.judged)) {
    for (const a of r.apis) {
      const missed = verdicts.some((v) => v.scenario === r.id && !v.pass && v.target.startsWith(`${a.api} `));
      if (!missed) continue;
      const restRate = (a.calls - a.firstSecondCalls) / Math.max(0.001, a.windowMs / 1000 - 1) / a.limitQps;
      out.push(
        `${a.api} (${r.id}): ${a.calls} calls at L = ${a.limitQps}/s make a ${s1(a.idealMs)} listing, and its first ` +
          `second carried ${a.firstSecondCalls} accepted calls (${(a.firstSecondCalls / a.limitQps).toFixed(2)} of L); ` +
          `the rest of the window ran at ${restRate.toFixed(2)} of L. Without \`--max-qps\` the controller starts at ` +
          '10 calls/s and doubles every 250 ms until the first throttle; with no limit measured yet that throttle ' +
          `halves the rate, and CUBIC takes it back to the measured limit. ${LISTING_SHAPE[a.api]} What is lost ` +
          'is the controller finding a limit it starts blind to, which a listing of a few seconds cannot amortise; ' +
          'a fix belongs in the rate controller or its configuration (a starting rate or a ceiling per listing ' +
          'API), not in the listing.',
      );
    }
  }
  return out;
}
