import { MAX_RESOURCE_IDS_PER_LIST } from '../../core/ecs-api.ts';
import type { ResourceType } from '../../core/manifest/types.ts';
import type { ObservedResource, ObservedTag } from '../../core/policy/evaluate-resource.ts';
import type { ListQuery } from '../../core/policy/keys-to-list.ts';
import type { Policy, ProtectRule } from '../../core/policy/policy.ts';
import type { TagPairCount, TagResourceRow } from '../../core/ports.ts';
import type { InventoryApis } from './inventory-apis.ts';
import { listTagRows } from './list-tag-rows.ts';
import { readCurrentTags } from './read-current-tags.ts';

/** One region and resource type: the unit a listing failure makes incomplete. */
export interface PartitionListing {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  /** False when a listing failed after its retries: nothing here may be read as "no tags". */
  readonly complete: boolean;
  /** Resources carrying a candidate tag, with every row listed for them (protect tags included). */
  readonly resources: readonly ObservedResource[];
  readonly listCalls: number;
  readonly error?: unknown;
}

// ListTagResources has no page-size parameter; about 50 rows a page (inventory notes).
const ESTIMATED_ROWS_PER_PAGE = 50;

/**
 * Lists one partition: the candidate queries, then protection. Protection is asked for, never inferred
 * from missing rows: either by the protect tags, or by the candidates' ids, whichever DescribeTags'
 * counts say takes fewer pages (by id also returns every tag of each candidate). Listing by the protect
 * tags does not depend on the candidates, so it runs alongside their chains; by id has to wait for them.
 */
export async function listPartition(
  apis: InventoryApis,
  policy: Policy,
  partition: { readonly regionId: string; readonly resourceType: ResourceType },
  queries: readonly ListQuery[],
  pairs: readonly TagPairCount[],
): Promise<PartitionListing> {
  const { regionId, resourceType } = partition;
  const found = new Map<string, ObservedTag[]>();
  let listCalls = 0;
  const fail = (error: unknown): PartitionListing => ({
    ...partition,
    complete: false,
    resources: [],
    listCalls,
    error,
  });

  // Each query is a chain of NextToken pages; the chains run side by side, the executor paces them and
  // the longest (by DescribeTags' counts) is served first.
  const candidates = Promise.all(
    queries.map((query) => {
      const tags = [{ key: query.key, ...(query.value !== undefined && { value: query.value }) }];
      return listTagRows(apis, { regionId, resourceType, tags }, query.matchingResources);
    }),
  );
  // Resources counted under several queries count more than once: an estimate, enough to choose by.
  const estimatedCandidates = queries.reduce((n, q) => n + q.matchingResources, 0);
  const byTag =
    queries.length > 0 &&
    policy.protect.length > 0 &&
    Math.ceil(estimatedCandidates / MAX_RESOURCE_IDS_PER_LIST) > protectTagPages(policy, resourceType, pairs);
  const [listings, protectedByTag] = await Promise.all([
    candidates,
    byTag ? listProtectTags(apis, policy, partition, pairs) : undefined,
  ]);
  listCalls += listings.reduce((n, listing) => n + listing.calls, protectedByTag?.calls ?? 0);
  for (const listing of listings) {
    if (!listing.ok) return fail(listing.error);
    addRows(found, listing.value);
  }
  if (found.size > 0 && policy.protect.length > 0) {
    let protection = protectedByTag;
    if (protection === undefined) {
      protection = await listProtectionById(apis, partition, [...found.keys()]);
      listCalls += protection.calls;
    }
    if (!protection.ok) return fail(protection.error);
    addRows(
      found,
      protection.rows.filter((row) => found.has(row.resourceId)),
    );
  }
  const resources = [...found].map(([resourceId, tags]) => ({ regionId, resourceType, resourceId, tags }));
  return { ...partition, complete: true, resources, listCalls };
}

type ProtectionListing =
  | { readonly ok: true; readonly rows: readonly TagResourceRow[]; readonly calls: number }
  | { readonly ok: false; readonly error: unknown; readonly calls: number };

/** Every row of the candidates, read by id. */
async function listProtectionById(
  apis: InventoryApis,
  partition: { readonly regionId: string; readonly resourceType: ResourceType },
  candidateIds: readonly string[],
): Promise<ProtectionListing> {
  const { regionId, resourceType } = partition;
  const current = await readCurrentTags(apis, regionId, resourceType, candidateIds);
  if (!current.ok) return current;
  const rows = [...current.value].flatMap(([resourceId, tags]) =>
    tags.map((tag) => ({ resourceType, resourceId, key: tag.key, value: tag.value })),
  );
  return { ok: true, rows, calls: current.calls };
}

/** Every row of the resources carrying a protect tag, one chain per rule. */
async function listProtectTags(
  apis: InventoryApis,
  policy: Policy,
  partition: { readonly regionId: string; readonly resourceType: ResourceType },
  pairs: readonly TagPairCount[],
): Promise<ProtectionListing> {
  const { regionId, resourceType } = partition;
  const listings = await Promise.all(
    policy.protect.map((rule) => {
      const tags = [{ key: rule.key, ...(rule.value !== undefined && { value: rule.value }) }];
      return listTagRows(apis, { regionId, resourceType, tags }, protectCarriers(rule, resourceType, pairs));
    }),
  );
  const calls = listings.reduce((n, listing) => n + listing.calls, 0);
  const failed = listings.find((listing) => !listing.ok);
  if (failed !== undefined && !failed.ok) return { ok: false, error: failed.error, calls };
  return { ok: true, rows: listings.flatMap((listing) => (listing.ok ? listing.value : [])), calls };
}

/** Resources of the type carrying the protect tag, by DescribeTags' counts. */
function protectCarriers(rule: ProtectRule, resourceType: ResourceType, pairs: readonly TagPairCount[]): number {
  return pairs
    .filter((p) => p.key === rule.key && (rule.value === undefined || p.value === rule.value))
    .reduce((n, p) => n + (p.resourceTypeCounts[resourceType] ?? 0), 0);
}

/** Pages the protect-tag listings would take, from DescribeTags' counts (at least one per rule: we still ask). */
function protectTagPages(policy: Policy, resourceType: ResourceType, pairs: readonly TagPairCount[]): number {
  return policy.protect.reduce(
    (sum, rule) => sum + Math.max(1, Math.ceil(protectCarriers(rule, resourceType, pairs) / ESTIMATED_ROWS_PER_PAGE)),
    0,
  );
}

function addRows(found: Map<string, ObservedTag[]>, rows: readonly TagResourceRow[]): void {
  for (const row of rows) {
    const tags = found.get(row.resourceId) ?? [];
    tags.push({ key: row.key, value: row.value });
    found.set(row.resourceId, tags);
  }
}
