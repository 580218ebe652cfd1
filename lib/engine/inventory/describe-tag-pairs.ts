import type { DescribeTagsPage, TagPairCount } from '../../core/ports.ts';
import type { CallResult } from '../executor.ts';
import type { InventoryApis, Listing } from './inventory-apis.ts';

/** The largest page DescribeTags serves. */
export const DESCRIBE_TAGS_PAGE_SIZE = 100;

/**
 * Every distinct tag pair of a region with its counts per resource type. The first page gives the total,
 * so the other pages are known up front and requested together: the executor paces them, and the walk
 * is not bound by one round trip per page.
 */
export async function describeTagPairs(apis: InventoryApis, regionId: string): Promise<Listing<TagPairCount[]>> {
  const first = await describePage(apis, regionId, 1);
  if (!first.ok) return { ok: false, error: first.error, calls: 1 };
  const pageCount = Math.max(1, Math.ceil(first.value.totalCount / DESCRIBE_TAGS_PAGE_SIZE));
  const rest = await Promise.all(Array.from({ length: pageCount - 1 }, (_, i) => describePage(apis, regionId, i + 2)));
  const calls = pageCount;
  const failed = rest.find((page) => !page.ok);
  if (failed !== undefined && !failed.ok) return { ok: false, error: failed.error, calls };
  const pairs = [first, ...rest].flatMap((page) => (page.ok ? page.value.pairs : []));
  return { ok: true, value: pairs, calls };
}

function describePage(
  apis: InventoryApis,
  regionId: string,
  pageNumber: number,
): Promise<CallResult<DescribeTagsPage>> {
  return apis.describeTags.run(
    (options) => apis.client.describeTags({ regionId, pageNumber, pageSize: DESCRIBE_TAGS_PAGE_SIZE }, options),
    { api: 'DescribeTags', regionId, pageNumber },
  );
}
