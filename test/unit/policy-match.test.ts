import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSystemTagKey } from '../../lib/core/ecs-api.ts';
import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';
import { evaluateResource, type ObservedTag, type ResourceVerdict } from '../../lib/core/policy/evaluate-resource.ts';
import { keysToList } from '../../lib/core/policy/keys-to-list.ts';
import type { Policy, ProtectRule, RemoveRule } from '../../lib/core/policy/policy.ts';
import { tagMatcher } from '../../lib/core/policy/tag-matcher.ts';
import type { TagPairCount } from '../../lib/core/ports.ts';

// Factories: a valid policy and a listed resource, overridable field by field.
function policyWith(overrides: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    name: 'test',
    regions: ['cn-hangzhou'],
    resourceTypes: RESOURCE_TYPES,
    remove: [],
    protect: [],
    exclude: { resourceIds: [] },
    maxResources: 10_000,
    ...overrides,
  };
}

function tagsOf(tags: Readonly<Record<string, string>>): ObservedTag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function verdictFor(policy: Policy, tags: Readonly<Record<string, string>>, resourceId = 'd-bp1abc'): ResourceVerdict {
  return evaluateResource(policy, { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId, tags: tagsOf(tags) });
}

/** The keys a verdict removes; an empty list for any other verdict. */
function removedKeys(verdict: ResourceVerdict): string[] {
  return verdict.kind === 'remove' ? verdict.tags.map((t) => t.key) : [];
}

describe('evaluateResource matching', () => {
  it.each<[string, RemoveRule[], Record<string, string>, string[]]>([
    [
      'a key exactly and case-sensitively',
      [{ key: 'tmp' }],
      { tmp: '1', Tmp: '1', TMP: '1', tmp2: '1', xtmp: '1' },
      ['tmp'],
    ],
    [
      'a key prefix, case-sensitively',
      [{ keyPrefix: 'ci-' }],
      { 'ci-run': '1', 'CI-run': '1', 'xci-a': '1', ci: '1' },
      ['ci-run'],
    ],
    [
      'an anchored pattern',
      [{ keyPattern: '^build-[0-9]+$' }],
      { 'build-1': 'ok', 'build-x': 'ok', build: 'ok', 'a-build-2': 'ok' },
      ['build-1'],
    ],
    [
      'an unanchored pattern anywhere in the key',
      [{ keyPattern: 'tmp' }],
      { 'my-tmp-key': 'x', TMP: 'x' },
      ['my-tmp-key'],
    ],
    ['only the listed values', [{ key: 'env', values: ['legacy', 'old'] }], { env: 'legacy' }, ['env']],
    ['no other value, not even in another case', [{ key: 'env', values: ['legacy'] }], { env: 'Legacy' }, []],
    ['the empty value when listed', [{ key: 'env', values: [''] }], { env: '' }, ['env']],
    [
      'a tag matching any one entry',
      [{ key: 'tmp' }, { keyPrefix: 'ci-' }],
      { tmp: 'a', 'ci-x': 'b', owner: 'c' },
      ['tmp', 'ci-x'],
    ],
  ])('removes by %s', (_label, remove, tags, expected) => {
    // Prepare
    const policy = policyWith({ remove });
    // Act
    const verdict = verdictFor(policy, tags);
    // Assess
    expect(removedKeys(verdict)).toStrictEqual(expected);
  });

  it('carries each removed tag with its value as observed', () => {
    // Prepare
    const policy = policyWith({ remove: [{ keyPrefix: 'ci-' }] });
    // Act
    const verdict = verdictFor(policy, { 'ci-run': '4711', 'ci-job': '' });
    // Assess
    expect(verdict).toStrictEqual({
      kind: 'remove',
      tags: [
        { key: 'ci-run', value: '4711' },
        { key: 'ci-job', value: '' },
      ],
    });
  });

  it('counts a tag listed twice (a resource found under two keys) once', () => {
    // Prepare
    const policy = policyWith({ remove: [{ key: 'tmp' }, { key: 'old' }] });
    const tags = [...tagsOf({ tmp: '1', old: 'y' }), ...tagsOf({ old: 'y', tmp: '1' })];
    // Act
    const verdict = evaluateResource(policy, {
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      resourceId: 'd-1',
      tags,
    });
    // Assess
    expect(removedKeys(verdict)).toStrictEqual(['tmp', 'old']);
  });

  it('removes every key outside keepOnly except system and protect keys', () => {
    // Prepare
    const policy = policyWith({ keepOnly: ['owner', 'env'], protect: [{ key: 'hold', value: 'yes' }] });
    const tags = { owner: 'a', env: 'dev', team: 'web', Owner: 'b', 'acs:rm:rgId': 'rg-1', aliyunx: 'y', hold: 'no' };
    // Act
    const verdict = verdictFor(policy, tags);
    // Assess
    expect(removedKeys(verdict)).toStrictEqual(['team', 'Owner']);
  });

  it.each<[string, Partial<Policy>]>([
    ['a pattern matching everything', { remove: [{ keyPattern: '.*' }] }],
    ['a prefix shorter than the system prefix', { remove: [{ keyPrefix: 'a' }] }],
    ['a keepOnly that lists no system key', { keepOnly: ['owner'] }],
  ])('never removes a system tag, even for %s', (_label, overrides) => {
    // Prepare
    const policy = policyWith(overrides);
    // Act
    const verdict = verdictFor(policy, { 'acs:rm:rgId': 'rg-1', 'aliyun:ecs': 'x', alpha: 'y' });
    // Assess
    expect(removedKeys(verdict)).toStrictEqual(['alpha']);
  });

  it('never removes a protect key, even when a remove entry names it', () => {
    // Prepare
    const policy = policyWith({ remove: [{ key: 'hold' }, { key: 'tmp' }], protect: [{ key: 'hold', value: 'yes' }] });
    // Act
    const verdict = verdictFor(policy, { hold: 'no', tmp: '1' });
    // Assess
    expect(verdict).toStrictEqual({ kind: 'remove', tags: [{ key: 'tmp', value: '1' }] });
  });

  it('reports nothing to remove when no tag matches', () => {
    // Act
    const verdict = verdictFor(policyWith({ remove: [{ key: 'tmp' }] }), { owner: 'a' });
    // Assess
    expect(verdict).toStrictEqual({ kind: 'nothing-to-remove' });
  });
});

describe('evaluateResource precedence', () => {
  const policy = policyWith({
    resourceTypes: ['disk'],
    remove: [{ key: 'tmp' }],
    protect: [{ key: 'hold' }, { key: 'tier', value: 'gold' }],
    exclude: { resourceIds: ['d-skip'] },
  });

  it.each<
    [
      string,
      { regionId?: string; resourceType?: ResourceType; resourceId?: string },
      Record<string, string>,
      ResourceVerdict,
    ]
  >([
    [
      'another region is out of scope',
      { regionId: 'cn-beijing' },
      { tmp: '1' },
      { kind: 'out-of-scope', reason: 'region' },
    ],
    [
      'another type is out of scope',
      { resourceType: 'instance' },
      { tmp: '1' },
      { kind: 'out-of-scope', reason: 'resourceType' },
    ],
    ['exclusion wins over protection', { resourceId: 'd-skip' }, { tmp: '1', hold: 'x' }, { kind: 'excluded' }],
    [
      'a protect key protects whatever its value',
      {},
      { tmp: '1', hold: '' },
      { kind: 'protected', tag: { key: 'hold', value: '' } },
    ],
    [
      'a protect value must match',
      {},
      { tmp: '1', tier: 'gold' },
      { kind: 'protected', tag: { key: 'tier', value: 'gold' } },
    ],
    [
      'another protect value does not protect',
      {},
      { tmp: '1', tier: 'Gold' },
      { kind: 'remove', tags: [{ key: 'tmp', value: '1' }] },
    ],
  ])('%s', (_label, where, tags, expected) => {
    // Prepare
    const resource = {
      regionId: 'cn-hangzhou',
      resourceType: 'disk' as const,
      resourceId: 'd-1',
      ...where,
      tags: tagsOf(tags),
    };
    // Act
    const verdict = evaluateResource(policy, resource);
    // Assess
    expect(verdict).toStrictEqual(expected);
  });
});

// Arbitraries: a small key pool so that policies and resources collide often, plus arbitrary text.
const SYSTEM_KEYS = ['acs:rm:rgId', 'acs:ecs:x', 'aliyun', 'aliyun-tag'];
const PLAIN_KEYS = ['tmp', 'Tmp', 'ci-run', 'ci-', 'build-1', 'build-x', 'env', 'owner', 'hold', 'team', 'a', 'al'];
const VALUES = ['', 'true', 'legacy', 'prod', 'x'];
const NEVER_OBSERVED = 'never-observed-value';

const plainKey = fc
  .oneof(fc.constantFrom(...PLAIN_KEYS), fc.string({ minLength: 1, maxLength: 8 }))
  .filter((k) => !isSystemTagKey(k));
const anyKey = fc.oneof(fc.constantFrom(...SYSTEM_KEYS), plainKey);
const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 4 }));
// Optional through requiredKeys below, so a rule without values has no `values` field at all.
const values = fc.uniqueArray(value, { minLength: 1, maxLength: 3 });

const removeRule: fc.Arbitrary<RemoveRule> = fc.oneof(
  fc.record({ key: plainKey, values }, { requiredKeys: ['key'] }),
  fc.record({ keyPrefix: fc.constantFrom('ci-', 't', 'a', 'b', 'e', 'h'), values }, { requiredKeys: ['keyPrefix'] }),
  fc.record(
    { keyPattern: fc.constantFrom('.*', '^build-[0-9]+$', 'e', '^a', 'i'), values },
    { requiredKeys: ['keyPattern'] },
  ),
);
const protectRule: fc.Arbitrary<ProtectRule> = fc.record({ key: anyKey, value }, { requiredKeys: ['key'] });
const observedTags = fc.uniqueArray(fc.record({ key: anyKey, value }), { selector: (t) => t.key, maxLength: 12 });

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    remove: fc.array(removeRule, { maxLength: 4 }),
    keepOnly: fc.option(fc.uniqueArray(plainKey, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    protect: fc.array(protectRule, { maxLength: 2 }),
  })
  .map(({ keepOnly, ...rest }) => policyWith({ ...rest, ...(keepOnly === undefined ? {} : { keepOnly }) }));

function evaluate(policy: Policy, tags: readonly ObservedTag[]): ResourceVerdict {
  return evaluateResource(policy, { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1', tags });
}

describe('evaluateResource properties', () => {
  it('never removes a system tag or a protect key, and removes only tags it was given', () => {
    fc.assert(
      fc.property(policyArb, observedTags, (policy, tags) => {
        // Act
        const verdict = evaluate(policy, tags);
        // Assess
        const protectKeys = new Set(policy.protect.map((p) => p.key));
        for (const t of verdict.kind === 'remove' ? verdict.tags : []) {
          expect(isSystemTagKey(t.key)).toBe(false);
          expect(protectKeys.has(t.key)).toBe(false);
          expect(tags).toContainEqual(t);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with keepOnly alone, removes exactly the complement minus system and protect keys', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(plainKey, { minLength: 1, maxLength: 4 }),
        fc.array(anyKey, { maxLength: 2 }),
        observedTags,
        (keepOnly, protectKeys, tags) => {
          // Prepare: protect rules whose value never occurs, so the resource is not protected.
          const protect = protectKeys.map((key) => ({ key, value: NEVER_OBSERVED }));
          const policy = policyWith({ keepOnly, protect });
          const expected = tags
            .filter((t) => !keepOnly.includes(t.key) && !isSystemTagKey(t.key) && !protectKeys.includes(t.key))
            .map(({ key, value }) => ({ key, value })); // plain objects: fast-check records have no prototype
          // Act
          const verdict = evaluate(policy, tags);
          // Assess
          expect(verdict.kind === 'remove' ? verdict.tags : []).toStrictEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves a resource carrying a protect tag, or an excluded one, untouched whatever the rules', () => {
    fc.assert(
      fc.property(policyArb, observedTags, protectRule, (base, tags, rule) => {
        // Prepare
        const policy = policyWith({ ...base, protect: [rule], exclude: { resourceIds: ['d-excluded'] } });
        const carried = { key: rule.key, value: rule.value ?? 'any' };
        const withProtectTag = [...tags.filter((t) => t.key !== rule.key), carried];
        // Act
        const protectedVerdict = evaluate(policy, withProtectTag);
        const excludedVerdict = evaluateResource(policy, {
          regionId: 'cn-hangzhou',
          resourceType: 'disk',
          resourceId: 'd-excluded',
          tags: withProtectTag,
        });
        // Assess
        expect(protectedVerdict).toStrictEqual({ kind: 'protected', tag: carried });
        expect(excludedVerdict).toStrictEqual({ kind: 'excluded' });
      }),
      { numRuns: 300 },
    );
  });
});

function pair(key: string, value: string, resourceTypeCounts: TagPairCount['resourceTypeCounts']): TagPairCount {
  return { key, value, resourceTypeCounts };
}

describe('keysToList', () => {
  it('lists matching keys only, for each policy type that has them', () => {
    // Prepare
    const policy = policyWith({ resourceTypes: ['instance', 'disk'], remove: [{ key: 'tmp' }, { keyPrefix: 'ci-' }] });
    const pairs = [
      pair('tmp', 'true', { instance: 3, disk: 0, snapshot: 9 }),
      pair('ci-run', '1', { disk: 2 }),
      pair('ci-run', '2', { disk: 1 }),
      pair('owner', 'alice', { instance: 40, disk: 40 }),
    ];
    // Act
    const queries = keysToList(policy, pairs);
    // Assess
    expect(queries).toStrictEqual([
      { resourceType: 'instance', key: 'tmp', matchingResources: 3 },
      { resourceType: 'disk', key: 'ci-run', matchingResources: 3 },
    ]);
  });

  it('never lists system or protect keys, while keepOnly makes every other key a candidate', () => {
    // Prepare
    const policy = policyWith({ resourceTypes: ['disk'], keepOnly: ['owner'], protect: [{ key: 'hold' }] });
    const pairs = ['acs:rm:rgId', 'aliyun-x', 'hold', 'owner', 'team', 'env'].map((key) => pair(key, 'v', { disk: 1 }));
    // Act
    const keys = keysToList(policy, pairs).map((q) => q.key);
    // Assess
    expect(keys).toStrictEqual(['env', 'team']);
  });

  it.each([
    [
      'by value when few of many rows match',
      [pair('env', 'prod', { disk: 5000 }), pair('env', 'legacy', { disk: 3 })],
      [{ resourceType: 'disk', key: 'env', value: 'legacy', matchingResources: 3 }],
    ],
    [
      'by key when every value matches',
      [pair('env', 'legacy', { disk: 500 }), pair('env', 'old', { disk: 500 })],
      [{ resourceType: 'disk', key: 'env', matchingResources: 1000 }],
    ],
    [
      'by key when listing values one by one costs more pages',
      [pair('env', 'legacy', { disk: 1 }), pair('env', 'old', { disk: 1 }), pair('env', 'prod', { disk: 1 })],
      [{ resourceType: 'disk', key: 'env', matchingResources: 2 }],
    ],
  ])('lists a key with a values rule %s', (_label, pairs, expected) => {
    // Prepare
    const policy = policyWith({ resourceTypes: ['disk'], remove: [{ key: 'env', values: ['legacy', 'old'] }] });
    // Act
    const queries = keysToList(policy, pairs);
    // Assess
    expect(queries).toStrictEqual(expected);
  });

  it('counts a pair repeated across DescribeTags pages once', () => {
    // Prepare
    const policy = policyWith({ resourceTypes: ['disk'], remove: [{ key: 'tmp' }] });
    const row = pair('tmp', '1', { disk: 7 });
    // Act
    const queries = keysToList(policy, [row, row]);
    // Assess
    expect(queries).toStrictEqual([{ resourceType: 'disk', key: 'tmp', matchingResources: 7 }]);
  });

  it('covers every pair the policy removes, and lists nothing else', () => {
    const counts = fc.record(
      Object.fromEntries(RESOURCE_TYPES.map((t) => [t, fc.integer({ min: 0, max: 300 })])) as Record<
        ResourceType,
        fc.Arbitrary<number>
      >,
    );
    const pairs = fc.uniqueArray(fc.record({ key: anyKey, value, resourceTypeCounts: counts }), {
      selector: (p) => `${p.key}\u0000${p.value}`,
      maxLength: 20,
    });
    fc.assert(
      fc.property(policyArb, fc.subarray([...RESOURCE_TYPES], { minLength: 1 }), pairs, (base, resourceTypes, rows) => {
        // Prepare
        const policy = policyWith({ ...base, resourceTypes });
        const matcher = tagMatcher(policy);
        // Act
        const queries = keysToList(policy, rows);
        // Assess: every removable pair with resources of a policy type is covered by some query...
        for (const row of rows) {
          for (const type of resourceTypes) {
            if ((row.resourceTypeCounts[type] ?? 0) === 0 || !matcher.removes(row.key, row.value)) continue;
            const covered = queries.some(
              (q) => q.resourceType === type && q.key === row.key && (q.value === undefined || q.value === row.value),
            );
            expect(covered).toBe(true);
          }
        }
        // ...and every query finds at least one removable pair.
        for (const q of queries) {
          expect(q.matchingResources).toBeGreaterThan(0);
          expect(rows.some((r) => r.key === q.key && matcher.removes(r.key, r.value))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
