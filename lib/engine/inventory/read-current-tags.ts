import { MAX_RESOURCE_IDS_PER_LIST } from '../../core/ecs-api.ts';
import type { ResourceType } from '../../core/manifest/types.ts';
import type { ObservedTag } from '../../core/policy/evaluate-resource.ts';
import type { InventoryApis, Listing } from './inventory-apis.ts';
import { listTagRows } from './list-tag-rows.ts';

/**
 * The current tags of the given resources, read by `ResourceId.N` (50 per query). A resource that
 * has no row has no tags or no longer exists; the caller decides which matters.
 */
export async function readCurrentTags(
  apis: InventoryApis,
  regionId: string,
  resourceType: ResourceType,
  resourceIds: readonly string[],
): Promise<Listing<Map<string, ObservedTag[]>>> {
  const chunks: string[][] = [];
  for (let at = 0; at < resourceIds.length; at += MAX_RESOURCE_IDS_PER_LIST) {
    chunks.push(resourceIds.slice(at, at + MAX_RESOURCE_IDS_PER_LIST));
  }
  // Each chunk is its own NextToken chain; they run side by side and the executor paces them.
  const listings = await Promise.all(
    chunks.map((ids) => listTagRows(apis, { regionId, resourceType, resourceIds: ids })),
  );
  const calls = listings.reduce((n, listing) => n + listing.calls, 0);
  const tags = new Map<string, ObservedTag[]>();
  for (const listing of listings) {
    if (!listing.ok) return { ok: false, error: listing.error, calls };
    for (const row of listing.value) {
      const list = tags.get(row.resourceId) ?? [];
      list.push({ key: row.key, value: row.value });
      tags.set(row.resourceId, list);
    }
  }
  return { ok: true, value: tags, calls };
}
