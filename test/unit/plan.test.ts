import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunkTags, dedupeTags } from '../../lib/core/chunk-tags.ts';
import { MAX_TAGS_PER_CALL } from '../../lib/core/ecs-api.ts';
import type { ValidationIssue } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { Manifest, RejectedEntry, ResourceEntry, ResourceType, TagSpec } from '../../lib/core/manifest/types.ts';
import { planManifest } from '../../lib/core/plan.ts';

// Factories: typed records, so planner tests do not depend on the parser.
function tag(key: string, value?: string): TagSpec {
  return value === undefined ? { key } : { key, value };
}

function keys(n: number, prefix = 'k'): TagSpec[] {
  return Array.from({ length: n }, (_, i) => tag(`${prefix}${i}`));
}

function valid(
  index: number,
  resourceId: string,
  tags: readonly TagSpec[] = [tag('tmp')],
  overrides: Partial<Pick<ResourceEntry, 'regionId' | 'resourceType'>> = {},
): ResourceEntry {
  return { index, regionId: 'cn-hangzhou', resourceType: 'disk', resourceId, tags, ...overrides };
}

function rejectedEntry(index: number, fields: Omit<RejectedEntry, 'index' | 'issues'>, reason = 'bad'): RejectedEntry {
  const issues: ValidationIssue[] = [{ path: `resources[${index}].resourceType`, reason }];
  return { index, ...fields, issues };
}

function manifestOf(resources: readonly ResourceEntry[], rejected: readonly RejectedEntry[] = []): Manifest {
  return { version: 1, manifestId: 'plan-test', regionId: 'cn-hangzhou', dryRun: false, resources, rejected };
}

function exampleManifest(name: string): Manifest {
  return parseManifest(readFileSync(new URL(`../../examples/manifests/${name}`, import.meta.url), 'utf8'));
}

describe('dedupeTags', () => {
  it('collapses exact duplicates', () => {
    // Act
    const tags = dedupeTags([tag('env', 'prod'), tag('env', 'prod'), tag('tmp'), tag('tmp')]);
    // Assess
    expect(tags).toStrictEqual([tag('env', 'prod'), tag('tmp')]);
  });

  it('lets a key-only tag cover every value of that key, wherever it appears', () => {
    // Act
    const before = dedupeTags([tag('env'), tag('env', 'prod'), tag('env', 'dev')]);
    const after = dedupeTags([tag('env', 'prod'), tag('owner'), tag('env', 'dev'), tag('env')]);
    // Assess
    expect(before).toStrictEqual([tag('env')]);
    expect(after).toStrictEqual([tag('env'), tag('owner')]);
  });

  it('keeps two values of the same key', () => {
    // Act
    const tags = dedupeTags([tag('env', 'prod'), tag('env', 'dev')]);
    // Assess
    expect(tags).toStrictEqual([tag('env', 'prod'), tag('env', 'dev')]);
  });

  it('treats an empty value as a value, not as key-only', () => {
    // Act
    const tags = dedupeTags([tag('env', ''), tag('env', 'prod'), tag('env', '')]);
    // Assess
    expect(tags).toStrictEqual([tag('env', ''), tag('env', 'prod')]);
  });

  it('keeps first-appearance order', () => {
    // Act
    const tags = dedupeTags([tag('c'), tag('a', '1'), tag('b'), tag('a', '2'), tag('c'), tag('a', '1')]);
    // Assess
    expect(tags).toStrictEqual([tag('c'), tag('a', '1'), tag('b'), tag('a', '2')]);
  });

  it('treats __proto__ and constructor as ordinary keys', () => {
    // Act
    const tags = dedupeTags([
      tag('__proto__'),
      tag('constructor', 'x'),
      tag('__proto__', 'y'),
      tag('constructor', 'x'),
    ]);
    // Assess
    expect(tags).toStrictEqual([tag('__proto__'), tag('constructor', 'x')]);
  });

  it('gives the same answer for long lists as for short ones', () => {
    // Prepare: 60 tags, past the short-list path, with duplicates and a late key-only tag.
    const short = [tag('a', '1'), tag('b', '1'), tag('a', '2'), tag('a', '1'), tag('b')];
    const long = [...short, ...keys(55)];
    // Act
    const shortResult = dedupeTags(short);
    const longResult = dedupeTags(long);
    // Assess
    expect(shortResult).toStrictEqual([tag('a', '1'), tag('b'), tag('a', '2')]);
    expect(longResult).toStrictEqual([...shortResult, ...keys(55)]);
  });

  it('returns an empty list for no tags', () => {
    // Act / Assess
    expect(dedupeTags([])).toStrictEqual([]);
  });
});

describe('chunkTags', () => {
  it.each(Array.from({ length: 24 }, (_, n) => n))(
    'splits %i distinct tags into the fewest calls of at most five',
    (n) => {
      // Prepare
      const tags = keys(n);
      // Act
      const calls = chunkTags(tags);
      // Assess
      const expectedSizes = Array.from({ length: Math.ceil(n / 5) }, (_, i) => Math.min(5, n - i * 5));
      expect(calls.map((c) => c.length)).toStrictEqual(expectedSizes);
      expect(calls.flat()).toStrictEqual(tags);
    },
  );

  it('splits eleven tags into three calls of at most five', () => {
    // Act
    const calls = chunkTags(keys(11));
    // Assess
    expect(calls.map((c) => c.length)).toStrictEqual([5, 5, 1]);
  });

  it('never puts two values of one key in the same call', () => {
    // Prepare
    const tags = [tag('env', 'prod'), tag('env', 'dev'), tag('a'), tag('b')];
    // Act
    const calls = chunkTags(tags);
    // Assess
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(new Set(call.map((t) => t.key)).size).toBe(call.length);
    expect(calls.flat()).toHaveLength(4);
  });

  it.each([
    ['three values of one key', [tag('env', '1'), tag('env', '2'), tag('env', '3')], 3],
    ['two values plus eight other keys', [tag('env', '1'), tag('env', '2'), ...keys(8)], 2],
    ['two values plus nine other keys', [tag('env', '1'), tag('env', '2'), ...keys(9)], 3],
    ['seven values plus three other keys', [...Array.from({ length: 7 }, (_, i) => tag('env', `${i}`)), ...keys(3)], 7],
    [
      'two keys with four values each and two singles',
      [
        ...Array.from({ length: 4 }, (_, i) => tag('a', `${i}`)),
        ...Array.from({ length: 4 }, (_, i) => tag('b', `${i}`)),
        tag('c'),
        tag('d'),
      ],
      4,
    ],
  ])('uses max(ceil(n/5), largest key multiplicity) calls for %s', (_label, tags, expectedCalls) => {
    // Act
    const calls = chunkTags(tags);
    // Assess
    expect(calls).toHaveLength(expectedCalls);
    for (const call of calls) {
      expect(call.length).toBeGreaterThan(0);
      expect(call.length).toBeLessThanOrEqual(MAX_TAGS_PER_CALL);
      expect(new Set(call.map((t) => t.key)).size).toBe(call.length);
    }
    expect(calls.flat()).toHaveLength(tags.length);
  });

  it('keeps input order inside every call', () => {
    // Prepare
    const tags = [tag('x'), tag('env', '1'), tag('y'), tag('env', '2'), tag('z')];
    // Act
    const calls = chunkTags(tags);
    // Assess
    for (const call of calls) {
      const positions = call.map((t) => tags.indexOf(t));
      expect(positions).toStrictEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('honours a custom call size', () => {
    // Act
    const calls = chunkTags(keys(7), 3);
    // Assess
    expect(calls.map((c) => c.length)).toStrictEqual([3, 3, 1]);
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses the call size %s', (size) => {
    // Act / Assess
    expect(() => chunkTags(keys(3), size)).toThrow(RangeError);
  });
});

describe('planManifest', () => {
  it('plans one resource per entry with its calls', () => {
    // Act
    const plan = planManifest(manifestOf([valid(0, 'd-1', keys(7))]));
    // Assess
    expect(plan.manifestId).toBe('plan-test');
    expect(plan.rejected).toStrictEqual([]);
    expect(plan.resources).toStrictEqual([
      {
        key: 'cn-hangzhou/disk/d-1',
        regionId: 'cn-hangzhou',
        resourceType: 'disk',
        resourceId: 'd-1',
        entryIndexes: [0],
        tags: keys(7),
        calls: [keys(5), keys(7).slice(5)],
      },
    ]);
  });

  it('merges entries for the same resource into one outcome with deduplicated tags', () => {
    // Prepare
    const manifest = manifestOf([
      valid(0, 'd-1', [tag('env', 'prod'), tag('a')]),
      valid(1, 'd-2'),
      valid(2, 'd-1', [tag('env'), tag('b'), tag('a')]),
    ]);
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.key)).toStrictEqual(['cn-hangzhou/disk/d-1', 'cn-hangzhou/disk/d-2']);
    expect(plan.resources[0]?.entryIndexes).toStrictEqual([0, 2]);
    expect(plan.resources[0]?.tags).toStrictEqual([tag('env'), tag('a'), tag('b')]);
    expect(plan.resources[0]?.calls).toStrictEqual([[tag('env'), tag('a'), tag('b')]]);
  });

  it('keeps the same id in two regions, or as two types, as separate resources', () => {
    // Prepare
    const manifest = manifestOf([
      valid(0, 'x-1'),
      valid(1, 'x-1', [tag('tmp')], { regionId: 'cn-shenzhen' }),
      valid(2, 'x-1', [tag('tmp')], { resourceType: 'snapshot' }),
    ]);
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.key)).toStrictEqual([
      'cn-hangzhou/disk/x-1',
      'cn-shenzhen/disk/x-1',
      'cn-hangzhou/snapshot/x-1',
    ]);
  });

  it('plans the same resource named 1000 times as one resource', () => {
    // Prepare
    const entries = Array.from({ length: 1000 }, (_, i) => valid(i, 'd-1', [tag('tmp'), tag(`k${i % 3}`)]));
    // Act
    const plan = planManifest(manifestOf(entries));
    // Assess
    expect(plan.resources).toHaveLength(1);
    expect(plan.resources[0]?.entryIndexes).toHaveLength(1000);
    expect(plan.resources[0]?.tags).toStrictEqual([tag('tmp'), tag('k0'), tag('k1'), tag('k2')]);
    expect(plan.resources[0]?.calls).toHaveLength(1);
  });

  it('spreads two values of one key over separate calls', () => {
    // Act
    const plan = planManifest(
      manifestOf([valid(0, 'd-1', [tag('env', 'prod')]), valid(1, 'd-1', [tag('env', 'dev')])]),
    );
    // Assess
    expect(plan.resources[0]?.calls).toStrictEqual([[tag('env', 'prod')], [tag('env', 'dev')]]);
  });

  it('rejects a whole resource when any entry naming it is invalid', () => {
    // Prepare
    const manifest = manifestOf(
      [
        valid(0, 'i-1', [tag('a')], { resourceType: 'instance' }),
        valid(2, 'd-2'),
        valid(3, 'i-1', [tag('b')], { resourceType: 'instance' }),
      ],
      [rejectedEntry(1, { regionId: 'cn-hangzhou', resourceType: 'Instance', resourceId: 'i-1' }, 'lower case please')],
    );
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.key)).toStrictEqual(['cn-hangzhou/disk/d-2']);
    expect(plan.rejected).toHaveLength(1);
    const rejected = plan.rejected[0];
    expect(rejected).toMatchObject({
      key: 'cn-hangzhou/instance/i-1',
      regionId: 'cn-hangzhou',
      resourceType: 'instance',
      resourceId: 'i-1',
      entryIndexes: [0, 1, 3],
    });
    expect(rejected?.issues[0]).toStrictEqual({ path: 'resources[1].resourceType', reason: 'lower case please' });
    expect(rejected?.issues[1]?.path).toBe('resources[0]');
    expect(rejected?.issues[1]?.reason).toBe(
      'another entry for the same resource is invalid (resources[1]), so none of its 2 valid entries is applied and nothing is removed',
    );
  });

  it('rejects every type planned for an id when an entry for that id is invalid', () => {
    // Prepare
    const manifest = manifestOf(
      [valid(1, 'x-1'), valid(2, 'x-1', [tag('tmp')], { resourceType: 'snapshot' })],
      [rejectedEntry(0, { regionId: 'cn-hangzhou', resourceType: 'Snapshot', resourceId: 'x-1' })],
    );
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources).toStrictEqual([]);
    expect(plan.rejected.map((r) => [r.key, r.entryIndexes])).toStrictEqual([['cn-hangzhou/Snapshot/x-1', [0, 1, 2]]]);
  });

  it('does not let a rejected entry in another region touch the resource', () => {
    // Prepare
    const manifest = manifestOf(
      [valid(0, 'd-1')],
      [rejectedEntry(1, { regionId: 'cn-shenzhen', resourceType: 'Disk', resourceId: 'd-1' })],
    );
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.key)).toStrictEqual(['cn-hangzhou/disk/d-1']);
    expect(plan.rejected.map((r) => r.key)).toStrictEqual(['cn-shenzhen/Disk/d-1']);
  });

  it('merges rejected entries for one resource without inventing a cross-entry issue', () => {
    // Prepare
    const manifest = manifestOf(
      [],
      [
        rejectedEntry(0, { regionId: 'cn-hangzhou', resourceId: 'd-1' }, 'first'),
        rejectedEntry(1, { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1' }, 'second'),
      ],
    );
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.rejected).toStrictEqual([
      {
        key: 'cn-hangzhou/?/d-1',
        regionId: 'cn-hangzhou',
        resourceId: 'd-1',
        entryIndexes: [0, 1],
        issues: [
          { path: 'resources[0].resourceType', reason: 'first' },
          { path: 'resources[1].resourceType', reason: 'second' },
        ],
      },
    ]);
  });

  it.each([
    ['no resource id', { regionId: 'cn-hangzhou', resourceType: 'disk' }],
    ['an empty resource id', { regionId: 'cn-hangzhou', resourceId: '' }],
    ['a malformed resource id', { regionId: 'cn-hangzhou', resourceId: 'd 1' }],
    ['no usable region', { resourceId: 'd-1' }],
  ])('gives an entry with %s its own outcome keyed by entry index', (_label, fields) => {
    // Prepare
    const manifest = manifestOf([valid(0, 'd-1')], [rejectedEntry(4, fields), rejectedEntry(7, fields)]);
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.key)).toStrictEqual(['cn-hangzhou/disk/d-1']);
    expect(plan.rejected.map((r) => [r.key, r.entryIndexes])).toStrictEqual([
      ['entry#4', [4]],
      ['entry#7', [7]],
    ]);
    expect(plan.rejected[0]).toMatchObject(fields);
  });

  it('orders planned and rejected resources by first appearance', () => {
    // Prepare
    const manifest = manifestOf(
      [valid(1, 'd-b'), valid(2, 'd-a'), valid(4, 'd-b'), valid(5, 'd-c', [tag('tmp')], { resourceType: 'snapshot' })],
      [rejectedEntry(0, {}), rejectedEntry(3, { regionId: 'cn-hangzhou', resourceId: 'd-z' })],
    );
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.resourceId)).toStrictEqual(['d-b', 'd-a', 'd-c']);
    expect(plan.rejected.map((r) => r.key)).toStrictEqual(['entry#0', 'cn-hangzhou/?/d-z']);
  });

  it('accepts entries that are not listed in index order', () => {
    // Prepare
    const manifest = manifestOf([valid(3, 'd-b'), valid(1, 'd-a')], [rejectedEntry(2, {}), rejectedEntry(0, {})]);
    // Act
    const plan = planManifest(manifest);
    // Assess
    expect(plan.resources.map((r) => r.resourceId)).toStrictEqual(['d-a', 'd-b']);
    expect(plan.rejected.map((r) => r.key)).toStrictEqual(['entry#0', 'entry#2']);
  });

  it('returns the same plan for the same manifest', () => {
    // Prepare
    const manifest = manifestOf([valid(0, 'd-1', [tag('env', '1'), tag('env', '2'), ...keys(6)]), valid(1, 'd-2')]);
    // Act
    const first = planManifest(manifest);
    const second = planManifest(manifest);
    // Assess
    expect(second).toStrictEqual(first);
  });

  it('plans 100 000 resources of 12 tags each', () => {
    // Prepare
    const types: ResourceType[] = ['disk', 'instance', 'snapshot'];
    const tags = Array.from({ length: 12 }, (_, j) => (j % 3 === 0 ? tag(`k${j}`) : tag(`k${j % 4}`, `v${j}`)));
    const entries = Array.from({ length: 100_000 }, (_, i) =>
      valid(i, `r-${i}`, tags, { resourceType: types[i % 3] as ResourceType }),
    );
    // Act
    const plan = planManifest(manifestOf(entries));
    // Assess
    expect(plan.resources).toHaveLength(100_000);
    expect(plan.resources[99_999]?.calls.map((c) => c.length)).toStrictEqual([5, 3]);
  });
});

describe('planManifest with the example manifests', () => {
  it('plans the compliance sweep as three resources of one call each', () => {
    // Act
    const plan = planManifest(exampleManifest('01-compliance-sweep.json'));
    // Assess
    expect(plan.rejected).toStrictEqual([]);
    expect(plan.resources.map((r) => [r.key, r.calls.length])).toStrictEqual([
      ['cn-shenzhen/snapshot/s-946ntx4wr', 1],
      ['cn-shenzhen/instance/i-wz9api01', 1],
      ['cn-hangzhou/image/m-bp1legacyimg', 1],
    ]);
  });

  it('plans the scratch disk with nine tags as two calls and rejects the misspelt instance', () => {
    // Act
    const plan = planManifest(exampleManifest('02-scratch-disks.json'));
    // Assess
    expect(plan.resources.map((r) => [r.key, r.calls.map((c) => c.length)])).toStrictEqual([
      ['cn-hangzhou/disk/d-bp1scratch01', [5, 4]],
      ['cn-hangzhou/securitygroup/sg-bp1open01', [1]],
      ['cn-hangzhou/instance/i-bp1web01', [2]],
      ['cn-hangzhou/disk/d-bp1gone404', [1]],
    ]);
    expect(plan.rejected.map((r) => [r.key, r.entryIndexes])).toStrictEqual([['cn-hangzhou/Instance/i-bp1bad01', [4]]]);
  });
});
