import { keysToList } from '../../core/policy/keys-to-list.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { describeTagPairs } from './describe-tag-pairs.ts';
import type { InventoryApis } from './inventory-apis.ts';
import { listPartition, type PartitionListing } from './list-partition.ts';

/** What a region's listing found, one entry per resource type of the policy. */
export interface RegionListing {
  readonly regionId: string;
  /** Distinct key/value pairs DescribeTags reported. */
  readonly tagPairsSeen: number;
  readonly partitions: readonly PartitionListing[];
  /** DescribeTags pages read. */
  readonly describeCalls: number;
}

/**
 * Lists one region for a policy: DescribeTags (all pages) says which keys exist for which types, then each
 * resource type is listed by its matching keys only, so cost grows with matching tags, not the account.
 * Partitions and queries run side by side; each API's executor paces them to its own quota.
 */
export async function listRegion(apis: InventoryApis, policy: Policy, regionId: string): Promise<RegionListing> {
  const described = await describeTagPairs(apis, regionId);
  if (!described.ok) {
    // Without the pairs nothing is known about the region: every partition is incomplete.
    const partitions = policy.resourceTypes.map((resourceType) => ({
      regionId,
      resourceType,
      complete: false,
      resources: [],
      listCalls: 0,
      error: described.error,
    }));
    return { regionId, tagPairsSeen: 0, partitions, describeCalls: described.calls };
  }
  const pairs = described.value;
  const queries = keysToList(policy, pairs);
  const partitions = await Promise.all(
    policy.resourceTypes.map((resourceType) => {
      const mine = queries.filter((q) => q.resourceType === resourceType);
      return listPartition(apis, policy, { regionId, resourceType }, mine, pairs);
    }),
  );
  return { regionId, tagPairsSeen: pairs.length, partitions, describeCalls: described.calls };
}
