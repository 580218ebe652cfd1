/** Reads the current tags of an event batch's resources, per region and type, under per-region rate control. */
import { refKey } from '../../core/events/ref-collector.ts';
import type { ResourceTarget } from '../../core/events/resolve-batch.ts';
import type { ResourceType } from '../../core/manifest/types.ts';
import type { ObservedTag } from '../../core/policy/evaluate-resource.ts';
import type { Clock, InventoryClient, Sleep } from '../../core/ports.ts';
import type { Executor } from '../executor.ts';
import { type ListingExecutorOptions, listingExecutor } from '../inventory/listing-executor.ts';
import { readCurrentTags } from '../inventory/read-current-tags.ts';
import { AdaptiveRateController } from '../rate-controller.ts';

/** The rate controller of one region's ListTagResources quota. */
export type RateFor = (regionId: string) => AdaptiveRateController;

/**
 * One rate controller per region, made on first use and kept: the listing quota is per API and region, and
 * a throttle learnt in one Lambda invocation should slow the next one in the same container too.
 */
export function regionRates(options: {
  readonly maxQps?: number;
  readonly now?: Clock;
  readonly sleep?: Sleep;
}): RateFor {
  const rates = new Map<string, AdaptiveRateController>();
  return (regionId) => {
    let rate = rates.get(regionId);
    if (rate === undefined) {
      rate = new AdaptiveRateController({
        ...(options.maxQps !== undefined && { maxQps: options.maxQps }),
        ...(options.now && { now: options.now }),
        ...(options.sleep && { sleep: options.sleep }),
      });
      rates.set(regionId, rate);
    }
    return rate;
  };
}

export interface ReadTargetTagsOptions extends ListingExecutorOptions {
  readonly client: InventoryClient;
  readonly rateFor: RateFor;
}

/** A region and type whose listing failed after its retries: none of its targets may be acted on. */
export interface FailedListing {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly targets: readonly ResourceTarget[];
  readonly error: unknown;
}

export interface TargetTags {
  /** Targets whose listing succeeded. */
  readonly listed: readonly ResourceTarget[];
  /** Current tags by {@link refKey}; a listed target without an entry has no rows (gone or untagged). */
  readonly tags: ReadonlyMap<string, readonly ObservedTag[]>;
  readonly failed: readonly FailedListing[];
  /** ListTagResources calls, retries not counted. */
  readonly listCalls: number;
  /** Listing requests answered with a throttle. */
  readonly throttled: number;
}

/**
 * Lists the targets by `ResourceId.N` (readCurrentTags), each region and type as one listing, all at
 * once. A failed listing is reported, never read as "no tags".
 */
export async function readTargetTags(
  targets: readonly ResourceTarget[],
  options: ReadTargetTagsOptions,
): Promise<TargetTags> {
  const groups = new Map<string, { regionId: string; resourceType: ResourceType; targets: ResourceTarget[] }>();
  for (const target of targets) {
    const { regionId, resourceType } = target.ref;
    const key = `${regionId}/${resourceType}`;
    const group = groups.get(key) ?? { regionId, resourceType, targets: [] };
    group.targets.push(target);
    groups.set(key, group);
  }
  const executors = new Map<string, Executor>();
  const executorFor = (regionId: string) => {
    const executor = executors.get(regionId) ?? newExecutor(options, regionId);
    executors.set(regionId, executor);
    return executor;
  };
  const listed: ResourceTarget[] = [];
  const tags = new Map<string, readonly ObservedTag[]>();
  const failed: FailedListing[] = [];
  let listCalls = 0;
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const executor = executorFor(group.regionId);
      // readCurrentTags only calls ListTagResources, so DescribeTags needs no executor of its own here.
      const apis = { client: options.client, describeTags: executor, listTagResources: executor };
      const ids = group.targets.map((t) => t.ref.resourceId);
      const listing = await readCurrentTags(apis, group.regionId, group.resourceType, ids);
      listCalls += listing.calls;
      if (!listing.ok) {
        failed.push({ ...group, error: listing.error });
        return;
      }
      for (const target of group.targets) {
        listed.push(target);
        const found = listing.value.get(target.ref.resourceId);
        if (found !== undefined) tags.set(refKey(target.ref), found);
      }
    }),
  );
  const throttled = [...executors.values()].reduce((n, e) => n + e.stats.throttled, 0);
  return { listed, tags, failed, listCalls, throttled };
}

function newExecutor(options: ReadTargetTagsOptions, regionId: string): Executor {
  return listingExecutor(options.rateFor(regionId), options);
}
