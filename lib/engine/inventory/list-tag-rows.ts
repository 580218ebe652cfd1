import { ApiError } from '../../core/errors.ts';
import type { ListTagResourcesRequest, TagResourceRow } from '../../core/ports.ts';
import { chainSchedulerFor } from './chain-scheduler.ts';
import type { InventoryApis, Listing } from './inventory-apis.ts';

/** How often one listing starts over after its NextToken was refused. */
const MAX_RESTARTS = 1;

/** A refused or expired NextToken: the notes advise restarting that listing rather than failing it. */
function isStaleToken(error: unknown): boolean {
  return error instanceof ApiError && /NextToken/i.test(error.code);
}

/**
 * Every row of one ListTagResources query: all pages, following NextToken. `priority` orders its pages
 * against the other chains on the same executor (see ChainScheduler): the expected length, say.
 */
export async function listTagRows(
  apis: InventoryApis,
  query: Omit<ListTagResourcesRequest, 'nextToken'>,
  priority = 0,
): Promise<Listing<TagResourceRow[]>> {
  const scheduler = chainSchedulerFor(apis.listTagResources);
  let calls = 0;
  for (let restart = 0; ; restart += 1) {
    const rows: TagResourceRow[] = [];
    let nextToken: string | undefined;
    let failure: unknown;
    do {
      calls += 1;
      const request: ListTagResourcesRequest = nextToken === undefined ? query : { ...query, nextToken };
      const page = await scheduler.run(priority, (sending) =>
        apis.listTagResources.run(
          (options) => {
            sending();
            return apis.client.listTagResources(request, options);
          },
          { api: 'ListTagResources', regionId: query.regionId, resourceType: query.resourceType },
        ),
      );
      if (!page.ok) {
        failure = page.error;
        break;
      }
      rows.push(...page.value.rows);
      nextToken = page.value.nextToken || undefined;
    } while (nextToken !== undefined);
    if (failure === undefined) return { ok: true, value: rows, calls };
    if (!isStaleToken(failure) || restart >= MAX_RESTARTS) return { ok: false, error: failure, calls };
  }
}
