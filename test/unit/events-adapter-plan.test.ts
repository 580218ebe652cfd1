import { describe, expect, it } from 'vitest';
import {
  eventManifestId,
  type ListedTarget,
  needsCurrentTags,
  planEventManifests,
} from '../../lib/core/events/plan-event-manifests.ts';
import type { ResourceTarget } from '../../lib/core/events/resolve-batch.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { ResourceType } from '../../lib/core/manifest/types.ts';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';

const { policy } = parsePolicy(
  [
    'version: 1',
    'name: no-tmp',
    'regions: [cn-hangzhou, cn-shenzhen]',
    'resourceTypes: [instance, disk]',
    'remove:',
    '  - key: tmp',
    'exclude:',
    '  resourceIds: [d-skip]',
  ].join('\n'),
  'no-tmp.yaml',
);

const STARTED_AT = Date.UTC(2026, 10, 30, 10, 5, 9, 123);

/** A target named by the events at `inputIndexes`, listed with `tags`. */
function listed(
  resourceId: string,
  eventIds: string[],
  tags: Record<string, string>,
  more: { regionId?: string; resourceType?: ResourceType; inputIndexes?: number[] } = {},
): ListedTarget {
  const target: ResourceTarget = {
    ref: { regionId: more.regionId ?? 'cn-hangzhou', resourceType: more.resourceType ?? 'disk', resourceId },
    eventIds,
    inputIndexes: more.inputIndexes ?? eventIds.map((_, i) => i),
  };
  return { target, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) };
}

function plan(resources: ListedTarget[], maxResourcesPerManifest = 100) {
  return planEventManifests({ policy, resources, startedAt: STARTED_AT, maxResourcesPerManifest });
}

describe('planEventManifests', () => {
  it('makes one manifest per region, removing the listed values, with the events that named its resources', () => {
    // Prepare
    const resources = [
      listed('d-b', ['e2'], { tmp: 'b', keep: '1' }, { inputIndexes: [1] }),
      listed('i-z', ['e3'], { tmp: 'z' }, { regionId: 'cn-shenzhen', resourceType: 'instance', inputIndexes: [2] }),
      listed('d-a', ['e1', 'e4'], { tmp: 'a' }, { inputIndexes: [0, 3] }),
    ];
    // Act
    const { manifests } = plan(resources);
    // Assess
    expect(manifests.map((m) => m.manifest)).toStrictEqual([
      {
        version: 1,
        manifestId: expect.stringMatching(/^event-cn-hangzhou-20261130T100509Z-[0-9a-f]{12}$/),
        regionId: 'cn-hangzhou',
        dryRun: false,
        origin: { kind: 'event', eventIds: ['e1', 'e4', 'e2'] },
        resources: [
          { resourceType: 'disk', resourceId: 'd-a', tags: [{ key: 'tmp', value: 'a' }] },
          { resourceType: 'disk', resourceId: 'd-b', tags: [{ key: 'tmp', value: 'b' }] },
        ],
      },
      {
        version: 1,
        manifestId: expect.stringMatching(/^event-cn-shenzhen-20261130T100509Z-[0-9a-f]{12}$/),
        regionId: 'cn-shenzhen',
        dryRun: false,
        origin: { kind: 'event', eventIds: ['e3'] },
        resources: [{ resourceType: 'instance', resourceId: 'i-z', tags: [{ key: 'tmp', value: 'z' }] }],
      },
    ]);
    expect(manifests[0]?.targets.map((t) => t.ref.resourceId)).toStrictEqual(['d-a', 'd-b']);
  });

  it('writes manifests the manifest parser accepts, origin included', () => {
    // Prepare
    const { manifests } = plan([listed('d-a', ['e1'], { tmp: 'a' })]);
    // Act
    const parsed = parseManifest(JSON.stringify(manifests[0]?.manifest));
    // Assess
    expect(parsed.origin).toStrictEqual({ kind: 'event', eventIds: ['e1'] });
    expect(parsed.resources).toHaveLength(1);
  });

  it('counts every resource under one verdict and sends nothing for those without removals', () => {
    // Prepare
    const resources = [
      listed('d-gone', ['e1'], {}),
      listed('d-clean', ['e2'], { keep: '1' }),
      listed('d-skip', ['e3'], { tmp: '1' }),
      listed('m-image', ['e4'], { tmp: '1' }, { resourceType: 'image' }),
      listed('d-bj', ['e5'], { tmp: '1' }, { regionId: 'cn-beijing' }),
      listed('d-a', ['e6'], { tmp: '1' }),
    ];
    // Act
    const { manifests, verdicts } = plan(resources);
    // Assess
    expect(verdicts).toStrictEqual({
      'out-of-scope': 2,
      excluded: 1,
      protected: 0,
      'nothing-to-remove': 1,
      'no-tags': 1,
      remove: 1,
    });
    expect(manifests.flatMap((m) => m.manifest.resources.map((r) => r.resourceId))).toStrictEqual(['d-a']);
  });

  it('splits a region with more resources than a manifest may hold, each part naming only its events', () => {
    // Prepare
    const resources = ['d-1', 'd-2', 'd-3'].map((id, i) => listed(id, [`e${i}`], { tmp: '1' }, { inputIndexes: [i] }));
    // Act
    const { manifests } = plan(resources, 2);
    // Assess
    expect(manifests.map((m) => m.manifest.origin.eventIds)).toStrictEqual([['e0', 'e1'], ['e2']]);
    expect(manifests.map((m) => m.manifest.manifestId.slice(-2))).toStrictEqual(['-1', '-2']);
  });

  it('writes an event id longer than the manifest allows as its SHA-256', () => {
    // Prepare
    const long = 'x'.repeat(300);
    // Act
    const { manifests } = plan([listed('d-a', [long, 'e2'], { tmp: '1' })]);
    // Assess
    expect(manifests[0]?.manifest.origin.eventIds).toStrictEqual([
      expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      'e2',
    ]);
  });
});

describe('eventManifestId', () => {
  it('names the same events the same way whatever their order, and other events differently', () => {
    // Act
    const a = eventManifestId('cn-hangzhou', STARTED_AT, ['e1', 'e2']);
    const b = eventManifestId('cn-hangzhou', STARTED_AT, ['e2', 'e1']);
    const c = eventManifestId('cn-hangzhou', STARTED_AT, ['e1', 'e3']);
    // Assess
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('needsCurrentTags', () => {
  it.each([
    ['a covered disk', 'cn-hangzhou', 'disk', 'd-a', true],
    ['a region the policy does not cover', 'cn-beijing', 'disk', 'd-a', false],
    ['a type the policy does not cover', 'cn-hangzhou', 'image', 'm-a', false],
    ['an excluded id', 'cn-hangzhou', 'disk', 'd-skip', false],
  ] as const)('is %s: %s', (_, regionId, resourceType, resourceId, expected) => {
    // Act
    const needed = needsCurrentTags(policy, { regionId, resourceType, resourceId });
    // Assess
    expect(needed).toBe(expected);
  });
});
