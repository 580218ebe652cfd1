import { toErrorInfo } from '../../core/outcome.ts';
import type { Policy } from '../../core/policy/policy.ts';
import type { InventoryClient } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import type { Executor } from '../executor.ts';
import type { InventoryApis } from '../inventory/inventory-apis.ts';
import { listRegion, type RegionListing } from '../inventory/list-region.ts';
import { type ListingExecutorOptions, listingExecutor } from '../inventory/listing-executor.ts';
import { AdaptiveRateController } from '../rate-controller.ts';

/** How the listing runs: the same knobs as RemoveTags, applied to each listing API separately. */
export interface InventoryListingOptions extends ListingExecutorOptions {
  readonly client: InventoryClient;
  /** Ceiling per API and region, calls per second; undefined means discover each limit. */
  readonly maxQps?: number;
}

export interface PolicyInventory {
  readonly regions: readonly RegionListing[];
  readonly listCalls: number;
  readonly throttled: number;
}

/**
 * Lists every region of a policy, all at once: each region gets its own executors because the listing
 * quotas are per API *and* per region, so one slow region never holds another back.
 */
export async function listPolicyInventory(
  policy: Policy,
  regionIds: readonly string[],
  options: InventoryListingOptions,
): Promise<PolicyInventory> {
  const executors: Executor[] = [];
  const regions = await Promise.all(
    regionIds.map(async (regionId) => {
      const apis = inventoryApis(options, executors);
      const listing = await listRegion(apis, policy, regionId);
      logRegion(options.logger, listing);
      return listing;
    }),
  );
  const listCalls = regions.reduce(
    (n, r) => n + r.describeCalls + r.partitions.reduce((m, p) => m + p.listCalls, 0),
    0,
  );
  const throttled = executors.reduce((n, e) => n + e.stats.throttled, 0);
  return { regions, listCalls, throttled };
}

/**
 * Where listing starts when no ceiling is set, calls per second. A sweep lists a few seconds' worth of
 * pages per API and region, so the removal path's start of 10/s would spend the first second ramping
 * (DescribeTags reached 0.88 of L in the bench); 25/s halves that ramp, and a lower quota costs one
 * throttle and a cut to the measured rate.
 */
const LISTING_INITIAL_QPS = 25;

function inventoryApis(options: InventoryListingOptions, executors: Executor[]): InventoryApis {
  const make = () => {
    const rate = new AdaptiveRateController({
      initialQps: LISTING_INITIAL_QPS,
      ...(options.maxQps !== undefined && { maxQps: options.maxQps }),
      ...(options.now && { now: options.now }),
      ...(options.sleep && { sleep: options.sleep }),
    });
    const executor = listingExecutor(rate, options);
    executors.push(executor);
    return executor;
  };
  return { client: options.client, describeTags: make(), listTagResources: make() };
}

function logRegion(logger: Logger, listing: RegionListing): void {
  for (const p of listing.partitions) {
    if (!p.complete) {
      logger.warn(
        {
          event: 'inventory.partition.incomplete',
          regionId: p.regionId,
          resourceType: p.resourceType,
          error: toErrorInfo(p.error),
        },
        'inventory.partition.incomplete',
      );
    }
  }
  logger.info(
    {
      event: 'inventory.region',
      regionId: listing.regionId,
      tagPairsSeen: listing.tagPairsSeen,
      resourcesFound: listing.partitions.reduce((n, p) => n + p.resources.length, 0),
      complete: listing.partitions.every((p) => p.complete),
    },
    'inventory.region',
  );
}
