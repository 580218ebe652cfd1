import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions, InventoryFile, RunningEmulator } from '../../dev/emulator/server.ts';
import { inventory, resource } from '../support/ecs.ts';
import {
  type CallOptions,
  callEcs,
  describeTagsParams,
  listTagResourcesParams,
  removeTagsParams,
  startTestEmulator,
} from '../support/emulator.ts';

// A fixed server clock: timestamps, nonces and flow control never depend on the wall clock.
const T0 = Date.parse('2025-03-01T10:00:00Z');
const MINUTE = 60_000;

let emulator: RunningEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Three instances, two disks and a security group in cn-hangzhou, one disk elsewhere; some system tags. */
function listingInventory(): InventoryFile {
  return inventory(
    resource('i-1', { env: 'prod', owner: 'ana', tmp: 'x' }, { resourceType: 'instance' }),
    resource('i-2', { env: 'prod', 'acs:rm:rgId': 'rg-1' }, { resourceType: 'instance' }),
    resource('i-3', { env: 'dev', tmp: 'y' }, { resourceType: 'instance' }),
    resource('d-1', { env: 'prod', tmp: 'x' }),
    resource('d-2', {}),
    resource('sg-1', { env: 'prod', 'aliyun-managed': 'true' }, { resourceType: 'securitygroup' }),
    resource('d-9', { env: 'prod' }, { regionId: 'cn-shanghai' }),
  );
}

async function start(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  emulator = await startTestEmulator({ inventory: listingInventory(), now: () => T0, ...options });
  return emulator;
}

/** Calls the emulator at the fixed clock; the answer body as a plain record. */
async function call(
  em: RunningEmulator,
  params: Record<string, string>,
  options: CallOptions = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await callEcs(em.url, params, { nowMs: T0, ...options });
  return { status: answer.status, body: (answer.body ?? {}) as Record<string, unknown> };
}

interface PairRow {
  TagKey: string;
  TagValue: string;
  ResourceTypeCount: Record<string, number>;
}

interface TagRow {
  ResourceType: string;
  ResourceId: string;
  TagKey: string;
  TagValue: string;
}

const pairsOf = (body: Record<string, unknown>): PairRow[] => (body.Tags as { Tag: PairRow[] }).Tag;
const rowsOf = (body: Record<string, unknown>): TagRow[] =>
  (body.TagResources as { TagResource: TagRow[] }).TagResource;
const pairNames = (body: Record<string, unknown>): string[] => pairsOf(body).map((p) => `${p.TagKey}=${p.TagValue}`);
const rowNames = (rows: readonly TagRow[]): string[] => rows.map((r) => `${r.ResourceId}:${r.TagKey}=${r.TagValue}`);

/** Follows NextToken until it is empty; every page's rows, in order. */
async function listAllPages(em: RunningEmulator, params: Record<string, string>): Promise<TagRow[][]> {
  const pages: TagRow[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await call(em, { ...params, ...(nextToken === undefined ? {} : { NextToken: nextToken }) });
    expect(page.status).toBe(200);
    pages.push(rowsOf(page.body));
    nextToken = String(page.body.NextToken);
  } while (nextToken !== '' && pages.length < 100);
  return pages;
}

describe('emulator DescribeTags', () => {
  it('lists each key/value pair of the region once, sorted, with its count per resource type', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, describeTagsParams('cn-hangzhou'));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ RequestId: expect.any(String), PageNumber: 1, PageSize: 50, TotalCount: 7 });
    expect(pairNames(answer.body)).toStrictEqual([
      'acs:rm:rgId=rg-1',
      'aliyun-managed=true',
      'env=dev',
      'env=prod',
      'owner=ana',
      'tmp=x',
      'tmp=y',
    ]);
    const envProd = pairsOf(answer.body).find((p) => p.TagKey === 'env' && p.TagValue === 'prod');
    expect(envProd?.ResourceTypeCount).toMatchObject({ Instance: 2, Disk: 1, Snapshot: 0, Image: 0, Securitygroup: 1 });
  });

  it('pages by PageNumber and PageSize, with the same TotalCount on every page', async () => {
    // Prepare
    const em = await start();
    // Act
    const pages = await Promise.all(
      [1, 2, 3, 4, 5].map((pageNumber) => call(em, describeTagsParams('cn-hangzhou', { pageNumber, pageSize: 2 }))),
    );
    // Assess
    expect(pages.map((p) => pairsOf(p.body).length)).toStrictEqual([2, 2, 2, 1, 0]);
    expect(pages.every((p) => p.body.TotalCount === 7)).toBe(true);
    const all = await call(em, describeTagsParams('cn-hangzhou', { pageSize: 100 }));
    expect(pages.flatMap((p) => pairNames(p.body))).toStrictEqual(pairNames(all.body));
  });

  it('counts only the resource type asked for, and keeps only the pairs a Tag filter matches', async () => {
    // Prepare
    const em = await start();
    // Act
    const disks = await call(em, describeTagsParams('cn-hangzhou', { resourceType: 'disk' }));
    const tmp = await call(
      em,
      describeTagsParams('cn-hangzhou', { tags: [{ key: 'tmp' }, { key: 'env', value: 'dev' }] }),
    );
    // Assess
    expect(pairNames(disks.body)).toStrictEqual(['env=prod', 'tmp=x']);
    expect(pairsOf(disks.body)[0]?.ResourceTypeCount).toMatchObject({ Instance: 0, Disk: 1 });
    expect(pairNames(tmp.body)).toStrictEqual(['env=dev', 'tmp=x', 'tmp=y']);
  });

  it.each([
    ['no RegionId', { RegionId: '' }, 'MissingParameter'],
    ['an unknown region', { RegionId: 'xx-nowhere-1' }, 'InvalidRegionId.NotFound'],
    ['PageSize 101', { PageSize: '101' }, 'InvalidParameter'],
    ['PageSize 0', { PageSize: '0' }, 'InvalidParameter'],
    ['PageNumber 0', { PageNumber: '0' }, 'InvalidParameter'],
    ['a Tag value without its key', { 'Tag.1.Value': 'prod' }, 'InvalidParameter.TagValue'],
    ['Tag.21', { 'Tag.21.Key': 'env' }, 'InvalidTagCount'],
  ])('refuses %s', async (_name, override, code) => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, { ...describeTagsParams('cn-hangzhou'), ...override });
    // Assess
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body).toMatchObject({ Code: code });
  });
});

describe('emulator ListTagResources', () => {
  it('lists every tag of each resource carrying the key, one row per tag, sorted by id then key', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'tmp' }] }));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.NextToken).toBe('');
    expect(rowsOf(answer.body)[0]).toStrictEqual({
      ResourceType: 'instance',
      ResourceId: 'i-1',
      TagKey: 'env',
      TagValue: 'prod',
    });
    expect(rowNames(rowsOf(answer.body))).toStrictEqual([
      'i-1:env=prod',
      'i-1:owner=ana',
      'i-1:tmp=x',
      'i-3:env=dev',
      'i-3:tmp=y',
    ]);
  });

  it('ANDs the Tag filters, a key with a value matching only that value', async () => {
    // Prepare
    const em = await start();
    const params = listTagResourcesParams('cn-hangzhou', 'instance', {
      tags: [{ key: 'env', value: 'prod' }, { key: 'tmp' }],
    });
    // Act
    const answer = await call(em, params);
    // Assess
    expect(new Set(rowsOf(answer.body).map((r) => r.ResourceId))).toStrictEqual(new Set(['i-1']));
  });

  it('lists the resources named by ResourceId.N, skipping ids that do not exist or carry no tag', async () => {
    // Prepare
    const em = await start();
    const params = listTagResourcesParams('cn-hangzhou', 'disk', { resourceIds: ['d-2', 'd-1', 'd-404', 'i-1'] });
    // Act
    const answer = await call(em, params);
    // Assess
    expect(rowNames(rowsOf(answer.body))).toStrictEqual(['d-1:env=prod', 'd-1:tmp=x']);
  });

  it('splits one resource’s rows across two pages when the page size is small, and ends with an empty NextToken', async () => {
    // Prepare
    const em = await start({ listPageSize: 2 });
    const params = listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] });
    // Act
    const pages = await listAllPages(em, params);
    // Assess
    expect(pages.map(rowNames)).toStrictEqual([
      ['i-1:env=prod', 'i-1:owner=ana'],
      ['i-1:tmp=x', 'i-2:acs:rm:rgId=rg-1'],
      ['i-2:env=prod', 'i-3:env=dev'],
      ['i-3:tmp=y'],
    ]);
  });

  it('answers the same page again for a NextToken sent twice, as a retried call does', async () => {
    // Prepare
    const em = await start({ listPageSize: 2 });
    const params = listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] });
    const first = await call(em, params);
    const nextToken = String(first.body.NextToken);
    // Act
    const once = await call(em, { ...params, NextToken: nextToken });
    const again = await call(em, { ...params, NextToken: nextToken });
    // Assess
    expect(nextToken).not.toBe('');
    expect(rowNames(rowsOf(again.body))).toStrictEqual(rowNames(rowsOf(once.body)));
  });

  it('leaves out a tag removed between two pages', async () => {
    // Prepare
    const em = await start({ listPageSize: 2 });
    const params = listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] });
    const first = await call(em, params);
    await call(em, removeTagsParams('cn-hangzhou', 'instance', 'i-3', [{ key: 'tmp' }]));
    // Act
    const rest = await listAllPages(em, { ...params, NextToken: String(first.body.NextToken) });
    // Assess
    expect(rest.flat().map((r) => `${r.ResourceId}:${r.TagKey}`)).not.toContain('i-3:tmp');
    expect(rest.flat().map((r) => `${r.ResourceId}:${r.TagKey}`)).toContain('i-3:env');
  });

  it.each([
    ['an unknown NextToken', { NextToken: 'caeba0bbb2be03f84eb48b699f0a4883' }, 'InvalidParameter.NextToken'],
    ['ResourceId.51', { 'ResourceId.51': 'i-1' }, 'InvalidParameter'],
    ['no ResourceType', { ResourceType: '' }, 'MissingParameter'],
    ['a capitalised ResourceType', { ResourceType: 'Instance' }, 'InvalidResourceType.NotFound'],
    ['a Tag value without its key', { 'Tag.2.Value': 'prod' }, 'InvalidParameter.TagValue'],
    ['Tag.21', { 'Tag.21.Key': 'env' }, 'InvalidTagCount'],
  ])('refuses %s', async (_name, override, code) => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, {
      ...listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] }),
      ...override,
    });
    // Assess
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body).toMatchObject({ Code: code });
  });

  it('accepts fifty ResourceId.N but refuses fifty-one', async () => {
    // Prepare
    const em = await start();
    const ids = Array.from({ length: 51 }, (_, i) => `i-${i + 1}`);
    // Act
    const fifty = await call(em, listTagResourcesParams('cn-hangzhou', 'instance', { resourceIds: ids.slice(0, 50) }));
    const fiftyOne = await call(em, listTagResourcesParams('cn-hangzhou', 'instance', { resourceIds: ids }));
    // Assess
    expect(fifty.status).toBe(200);
    expect(fiftyOne.status).toBe(400);
    expect(fiftyOne.body).toMatchObject({
      Code: 'InvalidParameter',
      Message: expect.stringContaining('ResourceId.51'),
    });
  });

  it('refuses a call that names neither resources nor tags, since nothing lists everything', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, listTagResourcesParams('cn-hangzhou', 'instance'));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ Code: 'MissingParameter' });
  });

  it('refuses a NextToken issued for another query', async () => {
    // Prepare
    const em = await start({ listPageSize: 1 });
    const first = await call(em, listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] }));
    // Act
    const other = await call(
      em,
      listTagResourcesParams('cn-hangzhou', 'instance', {
        tags: [{ key: 'tmp' }],
        nextToken: String(first.body.NextToken),
      }),
    );
    // Assess
    expect(other.body).toMatchObject({ Code: 'InvalidParameter.NextToken' });
  });
});

describe('emulator list APIs: signing', () => {
  const account = { accessKeyId: 'STS.list-key', accessKeySecret: 'list-secret', securityToken: 'list-token' };
  const sts = { accessKeyId: account.accessKeyId, accessKeySecret: account.accessKeySecret };
  const actions = [
    ['DescribeTags', describeTagsParams('cn-hangzhou')],
    ['ListTagResources', listTagResourcesParams('cn-hangzhou', 'disk', { tags: [{ key: 'env' }] })],
  ] as const;
  const refusals = [
    ['a wrong secret', { ...sts, accessKeySecret: 'wrong', securityToken: 'list-token' }, 'SignatureDoesNotMatch'],
    ['a POST signed as GET', { ...sts, securityToken: 'list-token', signAs: 'GET' as const }, 'SignatureDoesNotMatch'],
    ['an unknown AccessKeyId', { accessKeyId: 'someone-else' }, 'InvalidAccessKeyId.NotFound'],
    ['a stale timestamp', { ...sts, securityToken: 'list-token', nowMs: T0 - 16 * MINUTE }, 'InvalidTimeStamp.Expired'],
    ['no security token', sts, 'MissingSecurityToken'],
    ['a wrong security token', { ...sts, securityToken: 'other' }, 'InvalidSecurityToken.Mismatch'],
  ] as const;

  it.each(
    actions.flatMap(([action, params]) =>
      refusals.map(([why, options, code]) => [action, why, params, options, code] as const),
    ),
  )('refuses %s with %s', async (_action, _why, params, options, code) => {
    // Prepare
    const em = await start({ accounts: [account] });
    // Act
    const answer = await call(em, params, options);
    // Assess
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body).toMatchObject({ Code: code });
    expect(em.stats().ok).toBe(0);
  });

  it.each(actions)('answers %s signed with STS credentials, over GET as over POST', async (_action, params) => {
    // Prepare
    const em = await start({ accounts: [account] });
    // Act
    const post = await call(em, params, { ...sts, securityToken: 'list-token' });
    const get = await call(em, params, { ...sts, securityToken: 'list-token', method: 'GET' });
    // Assess
    expect([post.status, get.status]).toStrictEqual([200, 200]);
  });

  it.each(actions)('refuses a replayed nonce on %s', async (_action, params) => {
    // Prepare
    const em = await start({ accounts: [account] });
    const first = await call(em, params, { ...sts, securityToken: 'list-token', nonce: 'list-nonce' });
    // Act
    const replay = await call(em, params, { ...sts, securityToken: 'list-token', nonce: 'list-nonce' });
    // Assess
    expect(first.status).toBe(200);
    expect(replay.body).toMatchObject({ Code: 'SignatureNonceUsed' });
  });
});

describe('emulator list APIs: flow control and faults', () => {
  const list = listTagResourcesParams('cn-hangzhou', 'instance', { tags: [{ key: 'env' }] });
  const describe_ = describeTagsParams('cn-hangzhou');
  const remove = (key: string) => removeTagsParams('cn-hangzhou', 'instance', 'i-1', [{ key }]);

  it('throttles ListTagResources on its own quota, leaving RemoveTags and DescribeTags alone', async () => {
    // Prepare: the clock stands still, so no bucket refills.
    const em = await start({ listTagResourcesMaxQps: 1, listTagResourcesBurst: 1, maxQps: 1, burst: 1 });
    // Act
    const lists = await Promise.all([call(em, list), call(em, list), call(em, list)]);
    const removal = await call(em, remove('tmp'));
    const described = await call(em, describe_);
    // Assess
    expect(lists.map((a) => a.status).sort()).toStrictEqual([200, 400, 400]);
    for (const throttled of lists.filter((a) => a.status === 400)) {
      expect(throttled.body).toMatchObject({
        Code: 'Throttling.User',
        Message: 'Request was denied due to user flow control.',
      });
    }
    expect([removal.status, described.status]).toStrictEqual([200, 200]);
    expect(em.stats().byAction).toStrictEqual({
      ListTagResources: { ok: 1, throttled: 2, errors: 0, dropped: 0 },
      RemoveTags: { ok: 1, throttled: 0, errors: 0, dropped: 0 },
      DescribeTags: { ok: 1, throttled: 0, errors: 0, dropped: 0 },
    });
  });

  it('throttles DescribeTags once setMaxQps limits it at run time, and not RemoveTags', async () => {
    // Prepare
    const em = await start();
    em.setMaxQps(1, 1, 'DescribeTags');
    // Act
    const described = await Promise.all([call(em, describe_), call(em, describe_)]);
    const removals = await Promise.all([call(em, remove('tmp')), call(em, remove('owner'))]);
    // Assess
    expect(described.map((a) => a.status).sort()).toStrictEqual([200, 400]);
    expect(removals.map((a) => a.status)).toStrictEqual([200, 200]);
    expect(em.stats().byAction.DescribeTags).toMatchObject({ ok: 1, throttled: 1 });
  });

  it('injects the seeded faults into list calls too', async () => {
    // Prepare
    const em = await start({ faults: { errorRate: 1 } });
    // Act
    const answers = await Promise.all([call(em, list), call(em, describe_)]);
    // Assess
    for (const answer of answers) expect(['InternalError', 'ServiceUnavailable']).toContain(answer.body.Code);
    expect(em.stats().byAction).toMatchObject({
      ListTagResources: { ok: 0, errors: 1 },
      DescribeTags: { ok: 0, errors: 1 },
    });
  });
});

describe('emulator system tags', () => {
  it('lists system tags like any tag in both list APIs', async () => {
    // Prepare
    const em = await start();
    // Act
    const described = await call(em, describeTagsParams('cn-hangzhou', { resourceType: 'securitygroup' }));
    const listed = await call(em, listTagResourcesParams('cn-hangzhou', 'instance', { resourceIds: ['i-2'] }));
    // Assess
    expect(pairNames(described.body)).toContain('aliyun-managed=true');
    expect(rowNames(rowsOf(listed.body))).toStrictEqual(['i-2:acs:rm:rgId=rg-1', 'i-2:env=prod']);
  });

  it.each([
    ['acs:rm:rgId', 'instance', 'i-2'],
    ['aliyun-managed', 'securitygroup', 'sg-1'],
  ])('refuses to remove the system tag %s and keeps it', async (key, resourceType, resourceId) => {
    // Prepare
    const em = await start();
    // Act
    const answer = await call(em, removeTagsParams('cn-hangzhou', resourceType, resourceId, [{ key }]));
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ Code: 'InvalidTagKey.Malformed' });
    expect(em.getTags('cn-hangzhou', resourceType, resourceId)).toHaveProperty(key);
    expect(em.stats().accepted).toBe(0);
  });
});
