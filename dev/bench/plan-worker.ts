/**
 * The plan scenario, in a process of its own so that its peak memory is its own. Mode `plan` (judged):
 * a validated manifest of 100 000 resources × 12 tags, built in memory as the parser returns it, through
 * planManifest. Mode `parse` (for information): the same manifest as JSON text through parseManifest and
 * then planManifest, as the CLI does with a file.
 */

import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { Manifest, ResourceEntry } from '../../lib/core/manifest/types.ts';
import { planManifest } from '../../lib/core/plan.ts';

export const PLAN_RESOURCES = 100_000;
export const PLAN_TAGS = 12;

/** Which part of the work a worker measures. */
export type PlanMode = 'plan' | 'parse';

/** What the worker reports. */
export interface PlanResult {
  readonly mode: PlanMode;
  readonly resources: number;
  readonly tagsPerResource: number;
  /** JSON size of the manifest (measured in `parse` mode; computed alike in `plan` mode). */
  readonly inputBytes: number;
  /** parseManifest time; 0 in `plan` mode. */
  readonly parseMs: number;
  readonly planMs: number;
  readonly calls: number;
  /** RSS with the input in memory, before the measured work. */
  readonly baselineRssBytes: number;
  /** Peak RSS of the whole process. */
  readonly peakRssBytes: number;
  /** Live heap after the work, the plan still referenced (after a full GC when the worker may force one). */
  readonly liveHeapBytes: number;
}

/** Live heap after a full collection (`--expose-gc`), else the heap in use. */
function liveHeapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed;
}

function resourceId(i: number): string {
  return `d-bp1${i.toString(36).padStart(8, '0')}`;
}

function manifestText(): string {
  // Built as text, not as objects, so building it does not set the process's peak.
  const tagList = Array.from({ length: PLAN_TAGS }, (_, j) => `{"key":"team-${j}","value":"value-${j}"}`).join(',');
  const parts: string[] = [];
  for (let i = 0; i < PLAN_RESOURCES; i++) {
    parts.push(`{"resourceType":"disk","resourceId":"${resourceId(i)}","tags":[${tagList}]}`);
  }
  return `{"version":1,"manifestId":"plan-bench","regionId":"cn-hangzhou","resources":[${parts.join(',')}]}`;
}

function validatedManifest(): Manifest {
  const resources: ResourceEntry[] = [];
  const sharedTags = Array.from({ length: PLAN_TAGS }, (_, j) =>
    Object.freeze({ key: `team-${j}`, value: `value-${j}` }),
  );
  for (let i = 0; i < PLAN_RESOURCES; i++) {
    // One object per distinct tag, shared by every entry, as parseManifest returns them (it interns tags).
    const tags = sharedTags;
    resources.push({ index: i, regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: resourceId(i), tags });
  }
  return { version: 1, manifestId: 'plan-bench', regionId: 'cn-hangzhou', dryRun: false, resources, rejected: [] };
}

function main(mode: PlanMode): PlanResult {
  if (mode === 'parse') {
    const text = manifestText();
    const baselineRssBytes = process.memoryUsage().rss;
    const t0 = performance.now();
    const manifest = parseManifest(text, { maxResources: PLAN_RESOURCES });
    const t1 = performance.now();
    const plan = planManifest(manifest);
    const t2 = performance.now();
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    const live = liveHeapBytes();
    return {
      mode,
      resources: PLAN_RESOURCES,
      tagsPerResource: PLAN_TAGS,
      inputBytes: Buffer.byteLength(text),
      parseMs: t1 - t0,
      planMs: t2 - t1,
      // Counted after the heap was measured, so the plan is still alive when it is.
      calls: plan.resources.reduce((n, r) => n + r.calls.length, 0),
      baselineRssBytes,
      peakRssBytes,
      liveHeapBytes: live,
    };
  }
  const manifest = validatedManifest();
  const baselineRssBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const plan = planManifest(manifest);
  const t1 = performance.now();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const live = liveHeapBytes();
  const perEntryBytes = Buffer.byteLength(
    `{"resourceType":"disk","resourceId":"${resourceId(0)}","tags":[${Array.from({ length: PLAN_TAGS }, (_, j) => `{"key":"team-${j}","value":"value-${j}"}`).join(',')}]},`,
  );
  return {
    mode,
    resources: PLAN_RESOURCES,
    tagsPerResource: PLAN_TAGS,
    inputBytes: perEntryBytes * PLAN_RESOURCES,
    parseMs: 0,
    planMs: t1 - t0,
    // Counted after the heap was measured, so the plan is still alive when it is.
    calls: plan.resources.reduce((n, r) => n + r.calls.length, 0),
    baselineRssBytes,
    peakRssBytes,
    liveHeapBytes: live,
  };
}

const mode: PlanMode = process.argv[2] === 'parse' ? 'parse' : 'plan';
const result = main(mode);
process.send?.(result, undefined, {}, () => process.disconnect());
