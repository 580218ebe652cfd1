import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';
import type { ObservedResource } from '../../lib/core/policy/evaluate-resource.ts';
import type { Policy } from '../../lib/core/policy/policy.ts';
import { type PartitionFindings, planSweep, type SweepPlanInput } from '../../lib/core/sweep/plan-sweep.ts';
import { sweepManifestId } from '../../lib/core/sweep/sweep-manifest.ts';
import { brakeRefusal } from '../../lib/core/sweep/sweep-summary.ts';

// 2025-01-02 03:04:05.678 UTC: the milliseconds must not show in the id.
const STARTED_AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const STAMP = '20250102T030405Z';
const SHA = 'a'.repeat(64);

function policyWith(overrides: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    name: 'no-tmp',
    regions: ['cn-hangzhou', 'cn-shanghai'],
    resourceTypes: RESOURCE_TYPES,
    remove: [{ key: 'tmp' }, { keyPrefix: 'ci-' }],
    protect: [{ key: 'tag-cleanup:protect', value: 'true' }],
    exclude: { resourceIds: ['d-excluded'] },
    maxResources: 10_000,
    ...overrides,
  };
}

function observed(
  resourceId: string,
  tags: Readonly<Record<string, string>>,
  more: { regionId?: string; resourceType?: ResourceType } = {},
): ObservedResource {
  return {
    regionId: more.regionId ?? 'cn-hangzhou',
    resourceType: more.resourceType ?? 'disk',
    resourceId,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  };
}

function partition(
  resources: readonly ObservedResource[],
  more: { regionId?: string; resourceType?: ResourceType; complete?: boolean } = {},
): PartitionFindings {
  return {
    regionId: more.regionId ?? 'cn-hangzhou',
    resourceType: more.resourceType ?? 'disk',
    complete: more.complete ?? true,
    resources,
  };
}

function plan(partitions: readonly PartitionFindings[], overrides: Partial<SweepPlanInput> = {}) {
  return planSweep({
    policy: policyWith(),
    policySha256: SHA,
    partitions,
    startedAt: STARTED_AT,
    maxResourcesPerManifest: 10_000,
    ...overrides,
  });
}

describe('planSweep protection and exclusion', () => {
  it('leaves protected and excluded resources out and counts each apart from what would change', () => {
    // Prepare
    const found = partition([
      observed('d-plain', { tmp: '1', owner: 'ana' }),
      observed('d-protected', { tmp: '1', 'tag-cleanup:protect': 'true' }),
      observed('d-excluded', { tmp: '1', 'ci-run': '7' }),
      observed('d-other-value', { tmp: '1', 'tag-cleanup:protect': 'false' }),
    ]);
    // Act
    const result = plan([found]);
    // Assess
    expect(result.manifests.flatMap((m) => m.resources.map((r) => r.resourceId))).toStrictEqual([
      'd-other-value',
      'd-plain',
    ]);
    expect(result.counts).toStrictEqual({
      resourcesMatched: 2,
      tagsMatched: 2,
      protectedSkipped: 1,
      excludedSkipped: 1,
    });
  });

  it('counts a resource with nothing to remove nowhere', () => {
    // Prepare
    const found = partition([observed('d-clean', { owner: 'ana' })]);
    // Act
    const result = plan([found]);
    // Assess
    expect(result.manifests).toStrictEqual([]);
    expect(result.counts).toStrictEqual({
      resourcesMatched: 0,
      tagsMatched: 0,
      protectedSkipped: 0,
      excludedSkipped: 0,
    });
  });

  it('never names a system tag or a protect key, even under keepOnly', () => {
    // Prepare
    const policy = policyWith({ remove: [], keepOnly: ['owner'], protect: [{ key: 'hold', value: 'yes' }] });
    const found = partition([
      observed('d-1', { owner: 'ana', 'acs:rm:rgId': 'rg-1', aliyun: 'x', hold: 'no', tmp: '' }),
    ]);
    // Act
    const result = plan([found], { policy });
    // Assess
    expect(result.manifests[0]?.resources[0]?.tags).toStrictEqual([{ key: 'tmp', value: '' }]);
  });
});

describe('planSweep manifests', () => {
  it('makes one manifest per region, named sweep-<policy>-<region>-<UTC stamp>, with the sweep origin', () => {
    // Prepare
    const found = [
      partition([observed('d-1', { tmp: '1' })]),
      partition([observed('i-1', { tmp: '2' }, { resourceType: 'instance' })], { resourceType: 'instance' }),
      partition([observed('d-9', { 'ci-x': '3' }, { regionId: 'cn-shanghai' })], { regionId: 'cn-shanghai' }),
    ];
    // Act
    const result = plan(found);
    // Assess
    expect(result.manifests.map((m) => [m.manifestId, m.regionId, m.resources.length])).toStrictEqual([
      [`sweep-no-tmp-cn-hangzhou-${STAMP}`, 'cn-hangzhou', 2],
      [`sweep-no-tmp-cn-shanghai-${STAMP}`, 'cn-shanghai', 1],
    ]);
    for (const manifest of result.manifests) {
      expect(manifest.origin).toStrictEqual({ kind: 'sweep', policy: 'no-tmp', policySha256: SHA });
      expect(manifest.dryRun).toBe(false);
    }
  });

  it('carries each tag with the value as observed, so a value changed since listing is left alone', () => {
    // Prepare
    const found = partition([observed('d-1', { tmp: 'observed-value', 'ci-run': '', owner: 'ana' })]);
    // Act
    const result = plan([found]);
    // Assess
    expect(result.manifests[0]?.resources).toStrictEqual([
      {
        resourceType: 'disk',
        resourceId: 'd-1',
        tags: [
          { key: 'tmp', value: 'observed-value' },
          { key: 'ci-run', value: '' },
        ],
      },
    ]);
  });

  it('names a tag listed twice (under two matching keys) once', () => {
    // Prepare: a listing by tmp and one by ci-run both returned every row of d-1
    const rows = { tmp: '1', 'ci-run': '2' };
    const twice = observed('d-1', rows);
    const found = partition([{ ...twice, tags: [...twice.tags, ...twice.tags] }]);
    // Act
    const result = plan([found]);
    // Assess
    expect(result.manifests[0]?.resources[0]?.tags).toHaveLength(2);
    expect(result.counts.tagsMatched).toBe(2);
  });

  it('splits a region beyond the per-manifest cap into numbered parts, in a stable order', () => {
    // Prepare: five resources listed out of order, two per manifest
    const ids = ['d-5', 'd-3', 'd-1', 'd-4', 'd-2'];
    const found = partition(ids.map((id) => observed(id, { tmp: id })));
    // Act
    const result = plan([found], { maxResourcesPerManifest: 2 });
    // Assess
    expect(result.manifests.map((m) => [m.manifestId, m.resources.map((r) => r.resourceId)])).toStrictEqual([
      [`sweep-no-tmp-cn-hangzhou-${STAMP}-1`, ['d-1', 'd-2']],
      [`sweep-no-tmp-cn-hangzhou-${STAMP}-2`, ['d-3', 'd-4']],
      [`sweep-no-tmp-cn-hangzhou-${STAMP}-3`, ['d-5']],
    ]);
  });

  it('adds no part suffix when a region fits exactly in one manifest', () => {
    // Prepare
    const found = partition(['d-1', 'd-2'].map((id) => observed(id, { tmp: '1' })));
    // Act
    const result = plan([found], { maxResourcesPerManifest: 2 });
    // Assess
    expect(result.manifests.map((m) => m.manifestId)).toStrictEqual([`sweep-no-tmp-cn-hangzhou-${STAMP}`]);
  });

  it('writes manifests the manifest parser accepts whole, even with the longest policy name', () => {
    // Prepare
    const policy = policyWith({ name: 'p'.repeat(64) });
    const found = [
      partition(['d-1', 'd-2', 'd-3'].map((id) => observed(id, { tmp: 'x', 'ci-a': 'y' }))),
      partition([observed('sg-1', { tmp: 'z' }, { resourceType: 'securitygroup' })], {
        resourceType: 'securitygroup',
      }),
    ];
    // Act
    const result = plan(found, { policy, maxResourcesPerManifest: 2 });
    const parsed = result.manifests.map((m) => parseManifest(JSON.parse(JSON.stringify(m)), { maxResources: 2 }));
    // Assess
    expect(parsed.map((m) => [m.resources.length, m.rejected.length])).toStrictEqual([
      [2, 0],
      [2, 0],
    ]);
    expect(parsed[0]?.origin).toStrictEqual({ kind: 'sweep', policy: policy.name, policySha256: SHA });
  });
});

describe('planSweep incomplete partitions', () => {
  it('acts on nothing from a partition whose listing failed, and names it as region/type', () => {
    // Prepare
    const found = [
      partition([observed('d-1', { tmp: '1' })], { complete: false }),
      partition([observed('i-1', { tmp: '1' }, { resourceType: 'instance' })], { resourceType: 'instance' }),
      partition([], { regionId: 'cn-shanghai', resourceType: 'image', complete: false }),
    ];
    // Act
    const result = plan(found);
    // Assess
    expect(result.manifests.flatMap((m) => m.resources.map((r) => r.resourceId))).toStrictEqual(['i-1']);
    expect(result.incompletePartitions).toStrictEqual(['cn-hangzhou/disk', 'cn-shanghai/image']);
    expect(result.counts.resourcesMatched).toBe(1);
  });
});

describe('sweepManifestId', () => {
  it.each([
    [Date.UTC(2025, 11, 31, 23, 59, 59, 999), undefined, 'sweep-p-cn-hangzhou-20251231T235959Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 0, 0), 12, 'sweep-p-cn-hangzhou-20260101T000000Z-12'],
  ])('formats %d (part %s) in UTC as %s', (startedAt, part, id) => {
    // Act
    const made = sweepManifestId('p', 'cn-hangzhou', startedAt, part);
    // Assess
    expect(made).toBe(id);
  });
});

describe('brakeRefusal', () => {
  const counts = (resourcesMatched: number) => ({
    resourcesMatched,
    tagsMatched: resourcesMatched,
    protectedSkipped: 50,
    excludedSkipped: 50,
  });

  it.each([
    [10, 10, false, null],
    [11, 10, false, 'maxResources'],
    [11, 10, true, null],
  ])('with %d resources to change and maxResources %d (force %s) refuses: %s', (matched, max, force, refused) => {
    // Act
    const refusal = brakeRefusal(counts(matched), max, force);
    // Assess
    expect(refusal).toBe(refused);
  });

  it('counts after protection and exclusion: skipped resources never trip it', () => {
    // Prepare: 3 would change, 4 are protected or excluded, the brake is at 3
    const policy = policyWith({ maxResources: 3 });
    const found = partition([
      ...['d-1', 'd-2', 'd-3'].map((id) => observed(id, { tmp: '1' })),
      ...['d-4', 'd-5', 'd-6'].map((id) => observed(id, { tmp: '1', 'tag-cleanup:protect': 'true' })),
      observed('d-excluded', { tmp: '1' }),
    ]);
    // Act
    const result = plan([found], { policy });
    // Assess
    expect(result.counts.resourcesMatched).toBe(3);
    expect(brakeRefusal(result.counts, policy.maxResources, false)).toBeNull();
  });
});
