import { MAX_RESOURCE_IDS_PER_LIST } from '../../lib/core/ecs-api.ts';
import type { ListTagResourcesRequest } from '../../lib/core/ports.ts';
import type { ActionCall, ActionResult } from './actions.ts';
import { compareCodeUnits } from './code-unit-order.ts';
import { ecsError, missingParameter, type OrEcsError } from './ecs-error.ts';
import type { Inventory, StoredResource } from './inventory.ts';
import type { ListingCursor } from './page-tokens.ts';
import { invalidParameter, isResourceType, unknownRegion, unknownResourceType } from './param-checks.ts';
import type { CallParams } from './read-params.ts';
import { parseTagFilters, resourceMatchesAll, type TagFilter } from './tag-filters.ts';

/** A validated ListTagResources call: the product's request, with its ids and tag filters read. */
interface ListQuery extends Pick<ListTagResourcesRequest, 'regionId' | 'resourceType' | 'nextToken'> {
  /** The query's identity, which a NextToken must have been issued for. */
  readonly id: string;
  readonly resourceIds: readonly string[];
  readonly filters: readonly TagFilter[];
}

/** One row of the answer, with ECS's field names: one tag of one resource. */
type TagResourceRow = Readonly<Record<'ResourceType' | 'ResourceId' | 'TagKey' | 'TagValue', string>>;

const RESOURCE_ID_PARAM = /^ResourceId\.(\d+)$/;

/**
 * ListTagResources: one row per tag (system tags included) of each resource that has every `Tag.N`
 * filter and, when given, one of the `ResourceId.N` ids. Rows are sorted by resource id, then key; a page
 * holds `listPageSize` rows, so one resource's rows may span two pages. `NextToken` is empty on the last page.
 */
export function listTagResourcesAction(call: ActionCall): ActionResult {
  const { ctx, params, requestId } = call;
  const query = parseQuery(params, ctx.knownRegions);
  if ('error' in query) return { ok: false, error: query.error };
  const cursor =
    query.nextToken === undefined ? firstCursor(ctx.inventory, query) : ctx.pageTokens.resolve(query.nextToken);
  if (cursor === undefined || cursor.query !== query.id) {
    return { ok: false, error: ecsError('InvalidParameter.NextToken', 400, 'The specified NextToken is not valid.') };
  }
  const { rows, next } = readPage(cursor, query.filters, ctx.listPageSize);
  const body = {
    RequestId: requestId,
    NextToken: next === undefined ? '' : ctx.pageTokens.issue(next),
    TagResources: { TagResource: rows },
  };
  return { ok: true, body };
}

function parseQuery(params: CallParams, knownRegions: ReadonlySet<string>): OrEcsError<ListQuery> {
  const { RegionId: regionId, ResourceType: resourceType, NextToken: nextToken } = params;
  if (!regionId) return { error: missingParameter('RegionId') };
  if (!resourceType) return { error: missingParameter('ResourceType') };
  if (!knownRegions.has(regionId)) return { error: unknownRegion() };
  if (!isResourceType(resourceType)) return { error: unknownResourceType() };
  const ids = parseResourceIds(params);
  if ('error' in ids) return ids;
  const tags = parseTagFilters(params);
  if ('error' in tags) return tags;
  // ECS cannot list "everything": a call names resources, tags, or both.
  if (ids.resourceIds.length === 0 && tags.filters.length === 0) {
    return { error: missingParameter('ResourceId.N or Tag.N.Key') };
  }
  const id = JSON.stringify([regionId, resourceType, ids.resourceIds, tags.filters]);
  return { id, regionId, resourceType, ...ids, ...tags, ...(nextToken ? { nextToken } : {}) };
}

function parseResourceIds(params: CallParams): OrEcsError<{ readonly resourceIds: string[] }> {
  const byIndex = new Map<number, string>();
  for (const [name, value] of Object.entries(params)) {
    const match = RESOURCE_ID_PARAM.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    if (index < 1 || index > MAX_RESOURCE_IDS_PER_LIST) {
      return { error: invalidParameter(name, `ResourceId.N takes N from 1 to ${MAX_RESOURCE_IDS_PER_LIST}`) };
    }
    if (value === '') return { error: invalidParameter(name, 'it is empty') };
    byIndex.set(index, value);
  }
  return { resourceIds: [...byIndex].sort(([a], [b]) => a - b).map(([, id]) => id) };
}

/** The first page's cursor: the matching resources, found through the key index when no ids are given. */
function firstCursor(inventory: Inventory, query: ListQuery): ListingCursor {
  const { regionId, resourceType } = query;
  let candidates: Iterable<StoredResource>;
  if (query.resourceIds.length > 0) {
    const found = query.resourceIds.map((id) => inventory.find(regionId, resourceType, id));
    candidates = new Set(found.filter((r) => r !== undefined));
  } else {
    const holders = query.filters.map((f) => inventory.withKey(regionId, resourceType, f.key));
    candidates = holders.reduce((a, b) => (b.size < a.size ? b : a));
  }
  const resources = [...candidates]
    .filter((r) => resourceMatchesAll(r, query.filters))
    .sort((a, b) => compareCodeUnits(a.resourceId, b.resourceId));
  return { query: query.id, resources, index: 0 };
}

/**
 * Up to `pageSize` rows from the cursor on, and the cursor of the row after them when there is one.
 * Tags are checked live, so a tag removed since the first page is not listed.
 */
function readPage(
  cursor: ListingCursor,
  filters: readonly TagFilter[],
  pageSize: number,
): { rows: TagResourceRow[]; next?: ListingCursor } {
  const rows: TagResourceRow[] = [];
  for (let index = cursor.index; index < cursor.resources.length; index++) {
    const resource = cursor.resources[index];
    if (resource === undefined || !resourceMatchesAll(resource, filters)) continue;
    const from = index === cursor.index ? cursor.fromKey : undefined;
    for (const key of [...resource.tags.keys()].sort(compareCodeUnits)) {
      if (from !== undefined && key < from) continue;
      if (rows.length === pageSize) return { rows, next: { ...cursor, index, fromKey: key } };
      const { resourceType, resourceId } = resource;
      rows.push({
        ResourceType: resourceType,
        ResourceId: resourceId,
        TagKey: key,
        TagValue: resource.tags.get(key) ?? '',
      });
    }
  }
  return { rows };
}
