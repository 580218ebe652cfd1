import { KNOWN_REGIONS } from '../core/ecs-api.ts';
import type { Manifest, TagSpec } from '../core/manifest/types.ts';
import {
  type FinishedResult,
  type GiveUpReason,
  type ManifestSummary,
  type OutcomeLine,
  type PlannedResult,
  type RejectedResult,
  type ResourceResult,
  rejectionInfo,
  type Settlement,
  toErrorInfo,
  type UnfinishedResult,
} from '../core/outcome.ts';
import { type Plan, type PlannedResource, planManifest, type RejectedResource } from '../core/plan.ts';
import type { RemoveTagsClient } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import type { Executor } from './executor.ts';
import { ManifestReporter } from './manifest-reporter.ts';

/** What {@link runManifest} needs: the client, the shared executor and the logger. */
export interface PipelineDeps {
  readonly client: RemoveTagsClient;
  /** Shared by every manifest of the run: one rate limit, one concurrency cap, one deadline. */
  readonly executor: Executor;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Called once per resource as soon as its result is known (progress display). */
  readonly onResult?: (result: ResourceResult) => void;
}

/** A manifest after its calls ran. Final outcomes are logged already; `unfinished` ones are not. */
export interface ManifestRun {
  readonly manifest: Manifest;
  readonly plan: Plan;
  readonly results: readonly ResourceResult[];
  /** Results the caller must settle (hand on, fail or defer) with {@link ManifestRun.settle}. */
  readonly unfinished: readonly UnfinishedResult[];
  /** Logs the settled outcomes of the unfinished resources, then the manifest summary. */
  settle(decide: (result: UnfinishedResult) => Settlement): ManifestSummary;
  /** Every outcome line logged so far, in the order logged. */
  outcomes(): readonly OutcomeLine[];
}

/**
 * The pipeline: plan the manifest, run every resource's calls through the shared executor, and log one
 * outcome per resource as it finishes. Work left unfinished (fatal stop, attempts or time run out) is
 * returned for the caller to settle, because only the caller knows whether it can hand the work on.
 */
export async function runManifest(manifest: Manifest, deps: PipelineDeps): Promise<ManifestRun> {
  const now = deps.now ?? Date.now;
  const reporter = new ManifestReporter(deps.logger, manifest.manifestId, manifest.dryRun, now, manifest.origin);
  const plan = planManifest(manifest);
  warnUnknownRegions(manifest, plan, deps);
  const finished = (result: ResourceResult): ResourceResult => {
    if (result.status !== 'unfinished') reporter.report(result);
    deps.onResult?.(result);
    return result;
  };

  const rejected = plan.rejected.map((resource) => finished(rejectedResult(resource)));
  const planned = manifest.dryRun
    ? plan.resources.map((resource) => finished(dryRunResult(resource)))
    : await Promise.all(
        plan.resources.map(async (resource) => finished(await runResource(manifest, resource, deps, now))),
      );

  const results = [...rejected, ...planned];
  const unfinished = results.filter((r): r is UnfinishedResult => r.status === 'unfinished');
  let summary: ManifestSummary | undefined;
  return {
    manifest,
    plan,
    results,
    unfinished,
    settle(decide) {
      if (summary) return summary;
      for (const result of unfinished) reporter.report(result, decide(result));
      summary = reporter.finish();
      return summary;
    },
    outcomes: () => reporter.lines,
  };
}

const knownRegions = new Set(KNOWN_REGIONS);
// The executor is the one object every manifest of a run shares, so it keys the regions warned about already.
const warnedRegions = new WeakMap<Executor, Set<string>>();

/**
 * One `region.unknown` warning per run for each region outside the known list that calls will go to: a typo
 * such as cn-hangzou passes the pattern check but reaches no endpoint. A warning only, since Alibaba adds
 * regions faster than this list is updated.
 */
function warnUnknownRegions(manifest: Manifest, plan: Plan, deps: PipelineDeps): void {
  let warned = warnedRegions.get(deps.executor);
  if (warned === undefined) {
    warned = new Set();
    warnedRegions.set(deps.executor, warned);
  }
  for (const resource of plan.resources) {
    const { regionId } = resource;
    if (knownRegions.has(regionId) || warned.has(regionId)) continue;
    warned.add(regionId);
    deps.logger.warn({ event: 'region.unknown', regionId, manifestId: manifest.manifestId }, 'region.unknown');
  }
}

/** What a resource's calls have added up to so far. */
interface Tally {
  readonly removed: TagSpec[];
  readonly requestIds: string[];
  calls: number;
  attempts: number;
  throttles: number;
}

/** Runs one resource's calls in order; a permanent error ends the resource, since the rest would fail alike. */
async function runResource(
  manifest: Manifest,
  resource: PlannedResource,
  deps: PipelineDeps,
  now: () => number,
): Promise<FinishedResult | UnfinishedResult> {
  const startedAt = now();
  const tally: Tally = { removed: [], requestIds: [], calls: 0, attempts: 0, throttles: 0 };
  const target = { regionId: resource.regionId, resourceType: resource.resourceType, resourceId: resource.resourceId };
  const identity = { key: resource.key, ...target };
  const context = { manifestId: manifest.manifestId, ...target };
  for (const [index, tags] of resource.calls.entries()) {
    const result = await deps.executor.run((options) => deps.client.removeTags({ ...target, tags }, options), context);
    if (result.attempts > 0) tally.calls++;
    tally.attempts += result.attempts;
    tally.throttles += result.throttles;
    if (result.ok) {
      tally.removed.push(...tags);
      if (result.value.requestId) tally.requestIds.push(result.value.requestId);
      continue;
    }
    const ended = { ...identity, ...tally, error: toErrorInfo(result.error), durationMs: now() - startedAt };
    return endedEarly(manifest, ended, result.reason, resource.calls.slice(index).flat());
  }
  return { ...identity, ...tally, status: 'removed', durationMs: now() - startedAt };
}

/** The result of a resource whose calls stopped before the last: gone, failed, partial, or unfinished. */
function endedEarly(
  manifest: Manifest,
  ended: Omit<FinishedResult, 'status'>,
  reason: GiveUpReason,
  remaining: readonly TagSpec[],
): FinishedResult | UnfinishedResult {
  if (reason !== 'permanent') return { ...ended, status: 'unfinished', unfinishedReason: reason, remaining };
  if (isGone(manifest, ended.error?.code)) return { ...ended, status: 'removed', resourceGone: true };
  return { ...ended, status: ended.removed.length > 0 ? 'partial' : 'failed' };
}

/**
 * A sweep or the event adapter listed the resource before writing the manifest, so NotFound now means it
 * was deleted since: its tags went with it. A hand-written manifest may simply name a wrong id, so there
 * NotFound stays a failure the user must see.
 */
function isGone(manifest: Manifest, code: string | undefined): boolean {
  return manifest.origin !== undefined && code === 'InvalidResourceId.NotFound';
}

function rejectedResult(resource: RejectedResource): RejectedResult {
  return {
    key: resource.key,
    ...(resource.regionId !== undefined && { regionId: resource.regionId }),
    ...(resource.resourceType !== undefined && { resourceType: resource.resourceType }),
    ...(resource.resourceId !== undefined && { resourceId: resource.resourceId }),
    status: 'rejected',
    removed: [],
    calls: 0,
    attempts: 0,
    throttles: 0,
    requestIds: [],
    error: rejectionInfo(resource.issues),
    issues: resource.issues,
    durationMs: 0,
  };
}

function dryRunResult(resource: PlannedResource): PlannedResult {
  return {
    key: resource.key,
    regionId: resource.regionId,
    resourceType: resource.resourceType,
    resourceId: resource.resourceId,
    status: 'planned',
    removed: [],
    plannedCalls: resource.calls,
    calls: 0,
    attempts: 0,
    throttles: 0,
    requestIds: [],
    durationMs: 0,
  };
}
