import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../lib/core/manifest/types.ts';
import type { Policy } from '../../lib/core/policy/policy.ts';
import type {
  CallOptions,
  DescribeTagsPage,
  DescribeTagsRequest,
  InventoryClient,
  ListTagResourcesPage,
  ListTagResourcesRequest,
} from '../../lib/core/ports.ts';
import { listAndPlanSweep, type SweepResult, sweepSummary } from '../../lib/engine/sweep/list-and-plan.ts';
import { capturingLogger } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { apiError } from '../support/fakes/ecs-client.ts';
import {
  FakeInventoryClient,
  type FakeInventoryResource,
  type InventoryFailureRule,
} from '../support/fakes/inventory-client.ts';
import { SWEEP_SUMMARY_FIELDS } from '../support/sweep.ts';

const SHA = 'c'.repeat(64);
const PROTECT = { key: 'tag-cleanup:protect', value: 'true' } as const;

function policyWith(overrides: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    name: 'no-tmp',
    regions: ['cn-hangzhou', 'cn-shanghai'],
    resourceTypes: RESOURCE_TYPES,
    remove: [{ key: 'tmp' }, { keyPrefix: 'ci-' }],
    protect: [PROTECT],
    exclude: { resourceIds: [] },
    maxResources: 10_000,
    ...overrides,
  };
}

function res(
  resourceId: string,
  tags: Record<string, string>,
  more: Partial<Omit<FakeInventoryResource, 'resourceId' | 'tags'>> = {},
): FakeInventoryResource {
  return { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId, tags, ...more };
}

interface SweepSetup {
  readonly policy?: Policy;
  readonly regionIds?: readonly string[];
  readonly maxAttempts?: number;
  readonly deadlineAt?: number;
}

/** Lists and plans a sweep over `client` on one fake clock; returns the result, the log and the manifests. */
async function sweep(client: InventoryClient, setup: SweepSetup = {}) {
  const clock = fakeClock();
  const policy = setup.policy ?? policyWith();
  const { logger, records } = capturingLogger('info');
  const result = await listAndPlanSweep(
    { policy, policySha256: SHA },
    {
      client,
      logger,
      regionIds: setup.regionIds ?? ['cn-hangzhou'],
      startedAt: clock.now(),
      maxResourcesPerManifest: 10_000,
      force: false,
      concurrency: 4,
      maxAttempts: setup.maxAttempts ?? 3,
      requestTimeoutMs: 1_000,
      now: clock.now,
      sleep: clock.sleep,
      ...(setup.deadlineAt !== undefined && { deadlineAt: setup.deadlineAt }),
    },
  );
  return { result, records, removals: removalsOf(result) };
}

/** `id: key=value,…` for every planned removal, in manifest order. */
function removalsOf(result: SweepResult): string[] {
  return result.plan.manifests.flatMap((m) =>
    m.resources.map((r) => `${r.resourceId}: ${r.tags.map((t) => `${t.key}=${t.value}`).join(',')}`),
  );
}

function fake(resources: readonly FakeInventoryResource[], rowsPerPage = 50, ...rules: InventoryFailureRule[]) {
  return new FakeInventoryClient(resources, { rowsPerPage }).fail(...rules);
}

/** The port's calls, passed through to `inner`, with the page answers rewritten by `page`. */
function rewritePages(
  inner: InventoryClient,
  page: (request: ListTagResourcesRequest, answer: ListTagResourcesPage) => ListTagResourcesPage,
  before: (request: ListTagResourcesRequest) => ListTagResourcesPage | undefined = () => undefined,
): InventoryClient {
  return {
    describeTags: (request: DescribeTagsRequest, options?: CallOptions): Promise<DescribeTagsPage> =>
      inner.describeTags(request, options),
    async listTagResources(request, options) {
      const early = before(request);
      if (early !== undefined) return early;
      return page(request, await inner.listTagResources(request, options));
    },
  };
}

describe('sweep listing: paging', () => {
  it("gathers one resource's rows when they are split across pages", async () => {
    // Prepare: two rows a page, so each resource's three rows straddle a page boundary
    const client = fake(
      [
        res('d-1', { tmp: 'a', 'ci-1': 'b', owner: 'ana' }),
        res('d-2', { tmp: 'c', 'ci-2': 'd', 'tag-cleanup:protect': 'true' }),
        res('d-3', { tmp: 'e', 'ci-3': 'f', team: 'web' }),
      ],
      2,
    );
    // Act
    const { result, removals } = await sweep(client);
    // Assess
    expect(removals).toStrictEqual(['d-1: ci-1=b,tmp=a', 'd-3: ci-3=f,tmp=e']);
    expect(result.plan.counts.protectedSkipped).toBe(1);
    expect(client.callsTo('ListTagResources').filter((c) => 'nextToken' in c.request).length).toBeGreaterThan(0);
  });

  it('ends a listing whose last page is exactly full with one call', async () => {
    // Prepare: the tmp listing returns exactly four rows, four a page
    const client = fake([res('d-1', { tmp: '1', a: '1' }), res('d-2', { tmp: '2', b: '2' })], 4);
    // Act
    const { result, removals } = await sweep(client, { policy: policyWith({ protect: [] }) });
    // Assess
    expect(removals).toStrictEqual(['d-1: tmp=1', 'd-2: tmp=2']);
    expect(client.callsTo('ListTagResources')).toHaveLength(1);
    expect(result.listCalls).toBe(2);
  });

  it('follows a NextToken that leads to an empty last page', async () => {
    // Prepare: like ECS may, a full page still carries a token, and the page it names is empty
    const inner = fake([res('d-1', { tmp: '1', a: '1' }), res('d-2', { tmp: '2', b: '2' })], 4);
    const client = rewritePages(
      inner,
      (_request, answer) => (answer.nextToken === undefined ? { ...answer, nextToken: 'empty-tail' } : answer),
      (request) => (request.nextToken === 'empty-tail' ? { requestId: 'tail', rows: [], nextToken: '' } : undefined),
    );
    // Act
    const { result, removals } = await sweep(client, { policy: policyWith({ protect: [] }) });
    // Assess
    expect(removals).toStrictEqual(['d-1: tmp=1', 'd-2: tmp=2']);
    expect(result.plan.incompletePartitions).toStrictEqual([]);
    expect(result.listCalls).toBe(3);
  });

  it('lists an empty region with one DescribeTags call and no ListTagResources call', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' })]);
    // Act
    const { result } = await sweep(client, { regionIds: ['cn-shanghai'] });
    // Assess
    expect(client.callsTo('DescribeTags')).toHaveLength(1);
    expect(client.callsTo('ListTagResources')).toHaveLength(0);
    expect(result.plan.manifests).toStrictEqual([]);
    expect(result.plan.incompletePartitions).toStrictEqual([]);
    expect(result.tagPairsSeen).toBe(0);
  });

  it('reads every DescribeTags page, so a matching key on the last page is found', async () => {
    // Prepare: 250 distinct env values sort before tmp, so tmp is on the third page of 100
    const many = Array.from({ length: 250 }, (_, i) => res(`d-env${i}`, { env: `v${String(i).padStart(3, '0')}` }));
    const client = fake([...many, res('d-tmp', { tmp: 'last' })]);
    // Act
    const { result, removals } = await sweep(client);
    // Assess
    const pages = client.callsTo('DescribeTags').map((c) => (c.request as DescribeTagsRequest).pageNumber);
    expect(pages.sort()).toStrictEqual([1, 2, 3]);
    expect(result.tagPairsSeen).toBe(251);
    expect(removals).toStrictEqual(['d-tmp: tmp=last']);
  });
});

describe('sweep listing: protection is asked for', () => {
  it('reads the candidates by id when that takes fewer pages', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' }), res('d-2', { tmp: '2', 'tag-cleanup:protect': 'true' })]);
    // Act
    const { result, removals } = await sweep(client);
    // Assess
    expect(removals).toStrictEqual(['d-1: tmp=1']);
    expect(result.plan.counts.protectedSkipped).toBe(1);
    const byId = client.callsTo('ListTagResources').filter((c) => 'resourceIds' in c.request);
    expect(byId.map((c) => (c.request as ListTagResourcesRequest).resourceIds)).toStrictEqual([['d-1', 'd-2']]);
  });

  it('lists by the protect tag when the candidates would take more pages by id', async () => {
    // Prepare: 60 candidates (two pages by id), one of them protected (one page by tag)
    const candidates = Array.from({ length: 60 }, (_, i) => res(`d-${String(i).padStart(2, '0')}`, { tmp: 'x' }));
    const client = fake([...candidates, res('d-protected', { tmp: 'x', 'tag-cleanup:protect': 'true' })]);
    // Act
    const { result } = await sweep(client);
    // Assess
    expect(result.plan.counts).toMatchObject({ resourcesMatched: 60, protectedSkipped: 1 });
    const requests = client.callsTo('ListTagResources').map((c) => c.request as ListTagResourcesRequest);
    expect(requests.some((r) => r.resourceIds !== undefined)).toBe(false);
    expect(requests.filter((r) => r.tags?.[0]?.key === PROTECT.key).map((r) => r.tags)).toStrictEqual([[PROTECT]]);
  });

  it('finds the same removals and protection whether a filtered listing returns only the matching rows', async () => {
    // Prepare: the notes leave open whether Tag.N filters rows or resources; the sweep must not care
    const resources = [
      res('d-1', { tmp: '1', 'ci-a': '2', owner: 'ana' }),
      res('d-2', { tmp: '3', 'tag-cleanup:protect': 'true' }),
    ];
    const onlyMatching = rewritePages(fake(resources), (request, answer) => ({
      ...answer,
      rows: answer.rows.filter((row) => request.tags === undefined || request.tags.some((t) => t.key === row.key)),
    }));
    // Act
    const everyRow = await sweep(fake(resources));
    const matchingRows = await sweep(onlyMatching);
    // Assess
    expect(matchingRows.removals).toStrictEqual(['d-1: ci-a=2,tmp=1']);
    expect(matchingRows.removals).toStrictEqual(everyRow.removals);
    expect(matchingRows.result.plan.counts).toStrictEqual(everyRow.result.plan.counts);
  });
});

describe('sweep listing: throttling and failures', () => {
  it('retries throttled listing calls and finishes complete, counting the throttles and not the retries', async () => {
    // Prepare
    const resources = [res('d-1', { tmp: '1' }), res('i-1', { 'ci-x': '2' }, { resourceType: 'instance' })];
    const calm = await sweep(fake(resources));
    const client = fake(
      resources,
      50,
      { api: 'DescribeTags', error: 'Throttling.User', times: 2 },
      { api: 'ListTagResources', error: 'Throttling.User', times: 3 },
    );
    // Act
    const { result, removals } = await sweep(client, { maxAttempts: 4 });
    // Assess
    expect(removals).toStrictEqual(calm.removals);
    expect(result.plan.incompletePartitions).toStrictEqual([]);
    expect(result.throttled).toBe(5);
    expect(result.listCalls).toBe(calm.result.listCalls);
    expect(client.calls.filter((c) => c.result === 'Throttling.User')).toHaveLength(5);
  });

  it('marks a partition whose listing fails after its retries incomplete and acts on nothing in it', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' }), res('i-1', { tmp: '2' }, { resourceType: 'instance' })], 50, {
      api: 'ListTagResources',
      resourceType: 'disk',
      error: 'ServiceUnavailable',
    });
    // Act
    const { result, removals, records } = await sweep(client, { maxAttempts: 3 });
    // Assess
    expect(removals).toStrictEqual(['i-1: tmp=2']);
    expect(result.plan.incompletePartitions).toStrictEqual(['cn-hangzhou/disk']);
    expect(client.calls.filter((c) => c.result === 'ServiceUnavailable')).toHaveLength(3);
    expect(records().find((r) => r.event === 'inventory.partition.incomplete')).toMatchObject({
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      error: { code: 'ServiceUnavailable' },
    });
  });

  it('acts on no candidate whose protection could not be read', async () => {
    // Prepare: the tmp listing succeeds, every later disk listing (the protection check) fails
    const client = fake([res('d-1', { tmp: '1' }), res('d-2', { tmp: '2', 'tag-cleanup:protect': 'true' })], 50, {
      api: 'ListTagResources',
      resourceType: 'disk',
      skip: 1,
      error: 'ServiceUnavailable',
    });
    // Act
    const { result } = await sweep(client);
    // Assess
    expect(result.plan.manifests).toStrictEqual([]);
    expect(result.plan.incompletePartitions).toStrictEqual(['cn-hangzhou/disk']);
    expect(result.plan.counts.resourcesMatched).toBe(0);
  });

  it('marks every partition of a region whose DescribeTags fails incomplete, and lists the other region', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' }), res('d-9', { tmp: '9' }, { regionId: 'cn-shanghai' })], 50, {
      api: 'DescribeTags',
      regionId: 'cn-shanghai',
      error: 'InternalError',
    });
    // Act
    const { result, removals } = await sweep(client, {
      regionIds: ['cn-hangzhou', 'cn-shanghai'],
      policy: policyWith({ resourceTypes: ['instance', 'disk'] }),
    });
    // Assess
    expect(removals).toStrictEqual(['d-1: tmp=1']);
    expect(result.plan.incompletePartitions).toStrictEqual(['cn-shanghai/instance', 'cn-shanghai/disk']);
  });

  it('treats a listing the deadline cut short as incomplete, not as empty', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' })]);
    // Act: the deadline is already past when listing starts
    const { result } = await sweep(client, {
      deadlineAt: 0,
      policy: policyWith({ resourceTypes: ['disk'] }),
    });
    // Assess
    expect(result.plan.manifests).toStrictEqual([]);
    expect(result.plan.incompletePartitions).toStrictEqual(['cn-hangzhou/disk']);
    expect(client.calls).toHaveLength(0);
  });
});

describe('sweep listing: refused credentials', () => {
  it('reports a listing the API refused for the credentials apart from an outage', async () => {
    // Prepare
    const client = fake([res('d-1', { tmp: '1' })], 50, { api: 'DescribeTags', error: 'SignatureDoesNotMatch' });
    // Act
    const { result } = await sweep(client);
    // Assess
    expect(result.credentialsRefused).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(client.callsTo('DescribeTags')).toHaveLength(1);
  });

  it('does not blame the credentials for an outage or a deadline', async () => {
    // Prepare
    const outage = fake([res('d-1', { tmp: '1' })], 50, { api: 'DescribeTags', error: 'ServiceUnavailable' });
    // Act
    const failed = await sweep(outage);
    const late = await sweep(fake([res('d-1', { tmp: '1' })]), { deadlineAt: 0 });
    // Assess
    expect(failed.result.plan.incompletePartitions).not.toStrictEqual([]);
    expect(late.result.plan.incompletePartitions).not.toStrictEqual([]);
    expect(failed.result.credentialsRefused).toBeUndefined();
    expect(late.result.credentialsRefused).toBeUndefined();
  });
});

describe('sweep listing: a refused NextToken', () => {
  /** Refuses the first `times` requests that carry a NextToken, as an expired token would be. */
  function refusingTokens(inner: InventoryClient, times: number): InventoryClient & { refused: number } {
    const client = {
      refused: 0,
      describeTags: (request: DescribeTagsRequest, options?: CallOptions) => inner.describeTags(request, options),
      listTagResources(request: ListTagResourcesRequest, options?: CallOptions) {
        if (request.nextToken !== undefined && client.refused < times) {
          client.refused += 1;
          return Promise.reject(apiError('InvalidParameter.NextToken'));
        }
        return inner.listTagResources(request, options);
      },
    };
    return client;
  }

  const resources = [res('d-1', { tmp: '1', a: 'x' }), res('d-2', { tmp: '2', b: 'y' })];
  const policy = policyWith({ protect: [], resourceTypes: ['disk'] });

  it('restarts that listing once from the first page and finishes it', async () => {
    // Prepare: two rows a page, so the tmp listing needs a token
    const client = refusingTokens(fake(resources, 2), 1);
    // Act
    const { result, removals } = await sweep(client, { policy });
    // Assess
    expect(client.refused).toBe(1);
    expect(removals).toStrictEqual(['d-1: tmp=1', 'd-2: tmp=2']);
    expect(result.plan.incompletePartitions).toStrictEqual([]);
    // DescribeTags, then page 1, the refused page 2, and the restart's two pages
    expect(result.listCalls).toBe(5);
  });

  it('gives the partition up as incomplete when the restart is refused too', async () => {
    // Prepare
    const client = refusingTokens(fake(resources, 2), 2);
    // Act
    const { result } = await sweep(client, { policy });
    // Assess
    expect(client.refused).toBe(2);
    expect(result.plan.manifests).toStrictEqual([]);
    expect(result.plan.incompletePartitions).toStrictEqual(['cn-hangzhou/disk']);
  });
});

describe('sweep listing: cost', () => {
  /** `matching` disks carry tmp; `others` carry only tags the policy keeps (the same two pairs each). */
  function account(matching: number, others: number): FakeInventoryResource[] {
    return [
      ...Array.from({ length: matching }, (_, i) => res(`d-m${i}`, { tmp: 'x', owner: 'ana' })),
      ...Array.from({ length: others }, (_, i) => res(`d-o${i}`, { env: 'prod', owner: 'ana' })),
    ];
  }
  const policy = policyWith({ protect: [] });

  it('grows with the matching tags, not with the resources in the account', async () => {
    // Prepare
    const small = fake(account(10, 100));
    const large = fake(account(10, 5_000));
    const moreMatching = fake(account(200, 100));
    // Act
    const [a, b, c] = [
      await sweep(small, { policy }),
      await sweep(large, { policy }),
      await sweep(moreMatching, { policy }),
    ];
    // Assess
    expect(b.result.listCalls).toBe(a.result.listCalls);
    expect(b.result.listCalls).toBe(2);
    // 200 matching disks, two rows each: eight pages of 50 rows, after one DescribeTags page
    expect(c.result.listCalls).toBe(9);
    expect(c.result.plan.counts.resourcesMatched).toBe(200);
  });
});

describe('sweepSummary', () => {
  it('has exactly the fields of issue 10, in its order, and counts no manifest when the brake refused', async () => {
    // Prepare
    const policy = policyWith({ maxResources: 1 });
    const { result } = await sweep(fake([res('d-1', { tmp: '1' }), res('d-2', { tmp: '2' })]), { policy });
    // Act
    const summary = sweepSummary(result, {
      policy: policy.name,
      regionIds: ['cn-hangzhou'],
      manifests: result.plan.manifests.length,
      durationMs: 7,
    });
    // Assess
    expect(Object.keys(summary)).toStrictEqual(SWEEP_SUMMARY_FIELDS);
    expect(summary).toMatchObject({ refused: 'maxResources', resourcesMatched: 2, manifests: 0, complete: true });
  });
});
