import type { ResourceType } from '../../lib/core/manifest/types.ts';
import type { ActionCall, ActionResult } from './actions.ts';
import { compareCodeUnits } from './code-unit-order.ts';
import { missingParameter, type OrEcsError } from './ecs-error.ts';
import type { Inventory } from './inventory.ts';
import { invalidParameter, isResourceType, unknownRegion, unknownResourceType } from './param-checks.ts';
import type { CallParams } from './read-params.ts';
import { parseTagFilters, type TagFilter, tagMatches } from './tag-filters.ts';

/** DescribeTags pages: `PageSize` 1 to 100, 50 when not given (ECS API metadata). */
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 50;

/**
 * `ResourceTypeCount` fields as ECS spells them (`Securitygroup`, `KeyPair`: not the lower-case
 * `ResourceType` values), by resource type. Every field is sent, zero for types the emulator does not hold.
 */
const COUNT_FIELDS: readonly (readonly [string, string])[] = [
  ['instance', 'Instance'],
  ['disk', 'Disk'],
  ['snapshot', 'Snapshot'],
  ['image', 'Image'],
  ['securitygroup', 'Securitygroup'],
  ['volume', 'Volume'],
  ['eni', 'Eni'],
  ['ddh', 'Ddh'],
  ['keypair', 'KeyPair'],
  ['launchtemplate', 'LaunchTemplate'],
  ['reservedinstance', 'ReservedInstance'],
  ['snapshotpolicy', 'SnapshotPolicy'],
];

/** One distinct key/value pair of a region and how many resources of each type carry it. */
interface TagPair {
  readonly key: string;
  readonly value: string;
  readonly counts: Map<string, number>;
}

/** A validated DescribeTags call. */
interface DescribeTagsQuery {
  readonly regionId: string;
  readonly resourceType?: ResourceType;
  readonly resourceId?: string;
  readonly filters: readonly TagFilter[];
  readonly pageNumber: number;
  readonly pageSize: number;
}

/**
 * DescribeTags: the distinct key/value pairs of a region (system tags included), sorted by key then value,
 * one page at a time. `ResourceType` and `ResourceId` narrow the resources counted; `Tag.N` filters keep
 * the pairs that match any of them.
 */
export function describeTagsAction(call: ActionCall): ActionResult {
  const query = parseQuery(call.params, call.ctx.knownRegions);
  if ('error' in query) return { ok: false, error: query.error };
  const pairs = tagPairs(call.ctx.inventory, query);
  const start = (query.pageNumber - 1) * query.pageSize;
  const page = pairs.slice(start, start + query.pageSize);
  const body = {
    RequestId: call.requestId,
    PageNumber: query.pageNumber,
    PageSize: query.pageSize,
    TotalCount: pairs.length,
    Tags: { Tag: page.map(renderPair) },
  };
  return { ok: true, body };
}

function parseQuery(params: CallParams, knownRegions: ReadonlySet<string>): OrEcsError<DescribeTagsQuery> {
  const { RegionId: regionId, ResourceType: resourceType, ResourceId: resourceId } = params;
  if (!regionId) return { error: missingParameter('RegionId') };
  if (!knownRegions.has(regionId)) return { error: unknownRegion() };
  if (resourceType !== undefined && !isResourceType(resourceType)) return { error: unknownResourceType() };
  const pageNumber = wholeNumber(params.PageNumber ?? '1');
  if (pageNumber === undefined || pageNumber < 1) {
    return { error: invalidParameter('PageNumber', 'it must be a whole number from 1') };
  }
  const pageSize = wholeNumber(params.PageSize ?? String(DEFAULT_PAGE_SIZE));
  if (pageSize === undefined || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return { error: invalidParameter('PageSize', `it must be a whole number from 1 to ${MAX_PAGE_SIZE}`) };
  }
  const parsed = parseTagFilters(params);
  if ('error' in parsed) return parsed;
  return {
    regionId,
    ...(resourceType === undefined ? {} : { resourceType }),
    ...(resourceId ? { resourceId } : {}),
    filters: parsed.filters,
    pageNumber,
    pageSize,
  };
}

// Every page of one listing asks the same question; the answer stands until a tag is removed.
const pairCache = new WeakMap<Inventory, { version: number; byQuery: Map<string, readonly TagPair[]> }>();

function tagPairs(inventory: Inventory, query: DescribeTagsQuery): readonly TagPair[] {
  let cache = pairCache.get(inventory);
  if (cache?.version !== inventory.version) {
    cache = { version: inventory.version, byQuery: new Map() };
    pairCache.set(inventory, cache);
  }
  const key = JSON.stringify([query.regionId, query.resourceType, query.resourceId, query.filters]);
  let pairs = cache.byQuery.get(key);
  if (!pairs) {
    pairs = countPairs(inventory, query);
    cache.byQuery.set(key, pairs);
  }
  return pairs;
}

function countPairs(inventory: Inventory, query: DescribeTagsQuery): TagPair[] {
  const pairs = new Map<string, TagPair>();
  for (const resource of inventory.resourcesIn(query.regionId, query.resourceType)) {
    if (query.resourceId !== undefined && resource.resourceId !== query.resourceId) continue;
    for (const [key, value] of resource.tags) {
      if (query.filters.length > 0 && !query.filters.some((f) => tagMatches(f, key, value))) continue;
      // A NUL cannot appear in a tag key, so it separates key and value unambiguously.
      const id = `${key}\u0000${value}`;
      let pair = pairs.get(id);
      if (!pair) {
        pair = { key, value, counts: new Map() };
        pairs.set(id, pair);
      }
      pair.counts.set(resource.resourceType, (pair.counts.get(resource.resourceType) ?? 0) + 1);
    }
  }
  return [...pairs.values()].sort((a, b) => compareCodeUnits(a.key, b.key) || compareCodeUnits(a.value, b.value));
}

function renderPair(pair: TagPair): Record<string, unknown> {
  const counts = Object.fromEntries(COUNT_FIELDS.map(([type, field]) => [field, pair.counts.get(type) ?? 0]));
  return { TagKey: pair.key, TagValue: pair.value, ResourceTypeCount: counts };
}

function wholeNumber(raw: string): number | undefined {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}
