/** From an event batch's resources to its manifests: list what the policy covers, then plan. */
import { type EventPlan, needsCurrentTags, planEventManifests } from '../../core/events/plan-event-manifests.ts';
import { refKey } from '../../core/events/ref-collector.ts';
import type { ResourceTarget } from '../../core/events/resolve-batch.ts';
import { toErrorInfo } from '../../core/outcome.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { type FailedListing, type ReadTargetTagsOptions, readTargetTags } from './read-target-tags.ts';

export interface PlanTargetsOptions extends ReadTargetTagsOptions {
  readonly policy: Policy;
  /** Epoch ms the batch started: it names the manifests. */
  readonly startedAt: number;
  /** Resources per manifest at most. */
  readonly maxResourcesPerManifest: number;
}

export interface TargetsPlan {
  readonly plan: EventPlan;
  /** Listings that failed after their retries: their targets are in no manifest. */
  readonly failed: readonly FailedListing[];
  readonly listCalls: number;
  readonly throttled: number;
}

/**
 * Reads the current tags of the targets the policy covers (the event's payload may be stale; the current
 * tags decide) and plans one manifest per region. A target whose listing failed is left out of the plan,
 * with one `event.listing.failed` line per region and type, so the caller can have its records redelivered.
 */
export async function listAndPlanTargets(
  targets: readonly ResourceTarget[],
  options: PlanTargetsOptions,
): Promise<TargetsPlan> {
  const toList = targets.filter((t) => needsCurrentTags(options.policy, t.ref));
  const read = await readTargetTags(toList, options);
  for (const failure of read.failed) {
    options.logger.error(
      {
        event: 'event.listing.failed',
        regionId: failure.regionId,
        resourceType: failure.resourceType,
        resources: failure.targets.length,
        error: toErrorInfo(failure.error),
      },
      'event.listing.failed',
    );
  }
  const listed = new Set(read.listed);
  const listable = new Set(toList);
  // Targets the policy decides without tags are planned too, so that the verdict counts cover every one.
  const resources = targets
    .filter((t) => listed.has(t) || !listable.has(t))
    .map((target) => ({ target, tags: read.tags.get(refKey(target.ref)) ?? [] }));
  const plan = planEventManifests({
    policy: options.policy,
    resources,
    startedAt: options.startedAt,
    maxResourcesPerManifest: options.maxResourcesPerManifest,
  });
  return { plan, failed: read.failed, listCalls: read.listCalls, throttled: read.throttled };
}
