import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkTags, dedupeTags } from '../../lib/core/chunk-tags.ts';
import { MAX_TAGS_PER_CALL } from '../../lib/core/ecs-api.ts';
import { ManifestError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { type Manifest, RESOURCE_TYPES, type ResourceEntry, type TagSpec } from '../../lib/core/manifest/types.ts';
import { serializeManifest } from '../../lib/core/manifest/wire.ts';
import { type Plan, planManifest } from '../../lib/core/plan.ts';

/** Parses, turning a ManifestError into a value; anything else thrown escapes and fails the property. */
function parseOutcome(input: unknown): Manifest | ManifestError {
  try {
    return parseManifest(input);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
}

/** A ManifestError must explain itself: at least one issue, each with a path string and a non-empty reason. */
function expectClearOutcome(outcome: Manifest | ManifestError): void {
  if (outcome instanceof ManifestError) {
    expect(outcome.issues.length).toBeGreaterThan(0);
    for (const issue of outcome.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.reason.length).toBeGreaterThan(0);
    }
    return;
  }
  // Every accepted tag must survive the request signer's UTF-8 percent-encoding.
  for (const entry of outcome.resources) {
    for (const t of entry.tags) expect(() => encodeURIComponent(`${t.key}=${t.value ?? ''}`)).not.toThrow();
  }
  for (const rejected of outcome.rejected) {
    expect(rejected.issues.length).toBeGreaterThan(0);
    for (const issue of rejected.issues) expect(issue.reason.length).toBeGreaterThan(0);
  }
}

function sameTag(a: TagSpec, b: TagSpec): boolean {
  return a.key === b.key && a.value === b.value;
}

function maxKeyMultiplicity(tags: readonly TagSpec[]): number {
  const counts = new Map<string, number>();
  for (const t of tags) counts.set(t.key, (counts.get(t.key) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

/** Obviously-correct (quadratic) version of dedupeTags to compare against. */
function referenceDedupe(tags: readonly TagSpec[]): TagSpec[] {
  const bare = new Set(tags.filter((t) => t.value === undefined).map((t) => t.key));
  const out: TagSpec[] = [];
  for (const t of tags) {
    const wanted: TagSpec = bare.has(t.key) ? { key: t.key } : t;
    if (!out.some((o) => sameTag(o, wanted))) out.push(wanted);
  }
  return out;
}

/** Every invariant a plan promises about calls, entries and outcomes. */
function expectPlanInvariants(manifest: Manifest, plan: Plan): void {
  for (const resource of plan.resources) {
    for (const call of resource.calls) {
      expect(call.length).toBeGreaterThan(0);
      expect(call.length).toBeLessThanOrEqual(MAX_TAGS_PER_CALL);
      expect(new Set(call.map((t) => t.key)).size).toBe(call.length);
    }
    // Fewest calls that respect both the size cap and the one-value-per-key rule.
    const minimum = Math.max(Math.ceil(resource.tags.length / MAX_TAGS_PER_CALL), maxKeyMultiplicity(resource.tags));
    expect(resource.calls).toHaveLength(minimum);
    // The calls carry exactly the planned tags, each once.
    const flat = resource.calls.flat();
    expect(flat).toHaveLength(resource.tags.length);
    for (const t of resource.tags) expect(flat.filter((f) => sameTag(f, t))).toHaveLength(1);
  }

  const plannedByIndex = new Map(plan.resources.flatMap((r) => r.entryIndexes.map((i) => [i, r] as const)));
  for (const entry of manifest.resources) {
    const resource = plannedByIndex.get(entry.index);
    if (!resource) continue; // its resource was rejected; checked below
    expect([resource.regionId, resource.resourceType, resource.resourceId]).toStrictEqual([
      entry.regionId,
      entry.resourceType,
      entry.resourceId,
    ]);
    const flat = resource.calls.flat();
    for (const t of entry.tags) {
      const exact = flat.filter((f) => sameTag(f, t)).length;
      const covered = t.value === undefined ? 0 : flat.filter((f) => f.key === t.key && f.value === undefined).length;
      // Sent exactly once, or removed by exactly one key-only tag.
      expect(exact + covered).toBe(1);
    }
  }

  // Every entry index lands in exactly one outcome, planned or rejected.
  const allIndexes = [...plan.resources, ...plan.rejected].flatMap((r) => r.entryIndexes).sort((a, b) => a - b);
  const expected = [...manifest.resources, ...manifest.rejected].map((e) => e.index).sort((a, b) => a - b);
  expect(allIndexes).toStrictEqual(expected);

  // No planned resource shares its region and id with a rejected entry.
  const poisoned = new Set(manifest.rejected.map((r) => `${r.regionId}\n${r.resourceId}`));
  for (const resource of plan.resources)
    expect(poisoned.has(`${resource.regionId}\n${resource.resourceId}`)).toBe(false);
}

// Arbitraries for "well-formed-ish" manifests: mostly valid, with the typos and junk users really send.
// Bad values are rare per field (one in `odds`) because an entry has many fields and one bad field rejects it.
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>, odds = 30) =>
  fc.oneof({ arbitrary: good, weight: odds - 1 }, { arbitrary: bad, weight: 1 });

// Any UTF-16 code units, lone surrogates included (JSON text can carry them as "\ud800").
const anyUnits = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)) });
const junk = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.string(), fc.constant([]), fc.constant({}));
const regionArb = mostly(
  fc.constantFrom('cn-hangzhou', 'cn-shenzhen', 'us-west-1'),
  fc.oneof(fc.constantFrom('CN-Hangzhou', '', 'cn'), junk),
);
const resourceIdArb = mostly(
  fc.constantFrom('d-1', 'd-2', 'i-1', 's-1', 'sg-1'),
  fc.oneof(fc.constantFrom('', 'd 1', '-x'), junk),
);
// Weighted towards disk so entries often name the same resource and get merged.
const resourceTypeArb = mostly(
  fc.constantFrom('disk', 'disk', 'disk', ...RESOURCE_TYPES),
  fc.oneof(fc.constantFrom('Instance', 'DISK', ''), junk),
);
const tagKeyArb = mostly(
  fc.constantFrom('env', 'owner', 'tmp', 'a', 'b', 'c', 'd', 'e', 'f', '__proto__', 'constructor', ' '),
  fc.oneof(fc.constantFrom('', 'aliyun-x', 'acs:y', 'http://z', 'k'.repeat(129), '\ud800', 'a\udfffb'), anyUnits, junk),
);
const tagValueArb = mostly(
  fc.constantFrom('1', '2', 'prod', ''),
  fc.oneof(fc.constantFrom('aliyun', 'https://x'), junk),
);
const tagArb = mostly(
  fc.record({ key: tagKeyArb, value: tagValueArb }, { requiredKeys: ['key'] }),
  fc.oneof(fc.record({ key: tagKeyArb, Value: tagValueArb }), junk),
  60,
);
const tagsArb = mostly(fc.array(tagArb, { minLength: 1, maxLength: 14 }), fc.oneof(fc.constant([]), junk), 20);
const entryArb = mostly(
  fc.record(
    { resourceType: resourceTypeArb, resourceId: resourceIdArb, regionId: regionArb, tags: tagsArb },
    { requiredKeys: ['resourceType', 'resourceId', 'tags'] },
  ),
  fc.oneof(fc.record({ resourceType: resourceTypeArb, resourceId: resourceIdArb, tag: tagsArb }), junk),
  10,
);
const manifestArb = fc.record(
  {
    version: mostly(fc.constant(1), fc.oneof(fc.constant(2), junk)),
    manifestId: mostly(fc.constantFrom('sweep-1', 'm:2.x_y'), junk),
    regionId: regionArb,
    dryRun: mostly(fc.boolean(), junk),
    resources: mostly(fc.array(entryArb, { maxLength: 30, size: 'medium' }), junk),
    continuation: mostly(
      fc.record({ attempt: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ attempt: fc.integer({ min: -1, max: 0 }) }),
      10,
    ),
    part: mostly(
      fc
        .integer({ min: 1, max: 3 })
        .chain((count) => fc.record({ index: fc.integer({ min: 1, max: count }), count: fc.constant(count) })),
      fc.record({ index: fc.integer({ min: 0, max: 4 }), count: fc.integer({ min: 0, max: 3 }) }),
      10,
    ),
  },
  { requiredKeys: ['version', 'manifestId', 'regionId', 'resources'] },
);

describe('parseManifest on arbitrary input', () => {
  it('returns a manifest or throws a clear ManifestError for any value', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
          key: fc.oneof(
            fc.string(),
            fc.constantFrom('__proto__', 'constructor', 'version', 'resources', 'tags', 'key'),
          ),
        }),
        (input) => expectClearOutcome(parseOutcome(input)),
      ),
      { numRuns: 500 },
    );
  });

  it('returns a manifest or throws a clear ManifestError for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), anyUnits), (input) =>
        expectClearOutcome(parseOutcome(input)),
      ),
      { numRuns: 300 },
    );
  });

  it('returns a manifest or throws a clear ManifestError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => expectClearOutcome(parseOutcome(input))),
      { numRuns: 300 },
    );
  });

  it('returns a manifest or throws a clear ManifestError for any JSON text or value', () => {
    fc.assert(
      fc.property(fc.json(), fc.jsonValue(), (text, value) => {
        expectClearOutcome(parseOutcome(text));
        expectClearOutcome(parseOutcome(value));
      }),
      { numRuns: 300 },
    );
  });

  it('survives any value in any manifest field', () => {
    const anyFields = fc.record(
      {
        version: fc.oneof(fc.constant(1), fc.anything()),
        manifestId: fc.anything(),
        regionId: fc.anything(),
        dryRun: fc.anything(),
        resources: fc.oneof(fc.array(fc.anything(), { maxLength: 5 }), fc.anything()),
        continuation: fc.anything(),
        part: fc.anything(),
      },
      { requiredKeys: ['version'] },
    );
    fc.assert(
      fc.property(anyFields, (input) => expectClearOutcome(parseOutcome(input))),
      { numRuns: 300 },
    );
  });
});

describe('parseManifest and planManifest on well-formed-ish manifests', () => {
  it('accounts for every entry and plans only valid calls', () => {
    fc.assert(
      fc.property(manifestArb, fc.boolean(), (body, asText) => {
        // Act
        const outcome = parseOutcome(asText ? JSON.stringify(body) : body);
        // Assess
        expectClearOutcome(outcome);
        if (outcome instanceof ManifestError) return;
        const count = (body.resources as unknown[]).length;
        const indexes = [...outcome.resources, ...outcome.rejected].map((e) => e.index).sort((a, b) => a - b);
        expect(indexes).toStrictEqual(Array.from({ length: count }, (_, i) => i));
        expectPlanInvariants(outcome, planManifest(outcome));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back what serializeManifest writes', () => {
    fc.assert(
      fc.property(manifestArb, (body) => {
        // Prepare
        const outcome = parseOutcome(body);
        fc.pre(!(outcome instanceof ManifestError));
        const manifest = outcome as Manifest;
        // Act
        const again = parseManifest(JSON.stringify(serializeManifest(manifest)));
        // Assess: same manifest, minus rejected entries, with indexes renumbered.
        const { rejected: _dropped, resources, ...rest } = manifest;
        expect(again).toStrictEqual({
          ...rest,
          resources: resources.map((r, index) => ({ ...r, index })),
          rejected: [],
        });
      }),
      { numRuns: 300 },
    );
  });
});

// Planner inputs built directly, to reach long tag lists and heavy key repetition the parser tests rarely hit.
const plannerTagArb = fc.record(
  { key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), value: fc.constantFrom('1', '2', '3', '') },
  // Plain prototypes, as the parser produces, so results compare with toStrictEqual.
  { requiredKeys: ['key'], noNullPrototype: true },
) as fc.Arbitrary<TagSpec>;

describe('planner properties', () => {
  it('dedupeTags matches the obvious quadratic definition, for short and long lists', () => {
    fc.assert(
      fc.property(fc.array(plannerTagArb, { maxLength: 80 }), (tags) => {
        expect(dedupeTags(tags)).toStrictEqual(referenceDedupe(tags));
      }),
      { numRuns: 500 },
    );
  });

  it('chunkTags uses the fewest calls, never repeats a key in a call, and sends every tag once', () => {
    fc.assert(
      fc.property(fc.array(plannerTagArb, { maxLength: 80 }), fc.integer({ min: 1, max: 7 }), (raw, size) => {
        // Prepare
        const tags = dedupeTags(raw);
        // Act
        const calls = chunkTags(tags, size);
        // Assess
        expect(calls).toHaveLength(Math.max(Math.ceil(tags.length / size), maxKeyMultiplicity(tags)));
        for (const call of calls) {
          expect(call.length).toBeGreaterThan(0);
          expect(call.length).toBeLessThanOrEqual(size);
          expect(new Set(call.map((t) => t.key)).size).toBe(call.length);
        }
        const flat = calls.flat();
        expect(flat).toHaveLength(tags.length);
        for (const t of tags) expect(flat.filter((f) => f === t)).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it('plans any manifest of valid and rejected entries consistently', () => {
    const entryArbs = fc.array(
      fc.record({
        valid: fc.boolean(),
        regionId: fc.constantFrom('cn-hangzhou', 'cn-shenzhen'),
        resourceType: fc.constantFrom(...RESOURCE_TYPES),
        resourceId: fc.constantFrom('r-1', 'r-2', 'r-3', 'r-4', '', 'bad id'),
        tags: fc.array(plannerTagArb, { minLength: 1, maxLength: 30 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(entryArbs, (drafts) => {
        // Prepare
        const resources: ResourceEntry[] = [];
        const rejected: Manifest['rejected'][number][] = [];
        drafts.forEach((d, index) => {
          if (d.valid && d.resourceId.length > 0 && !d.resourceId.includes(' ')) {
            resources.push({
              index,
              regionId: d.regionId,
              resourceType: d.resourceType,
              resourceId: d.resourceId,
              tags: d.tags,
            });
          } else {
            rejected.push({
              index,
              regionId: d.regionId,
              resourceId: d.resourceId,
              issues: [{ path: `resources[${index}]`, reason: 'bad' }],
            });
          }
        });
        const manifest: Manifest = {
          version: 1,
          manifestId: 'p',
          regionId: 'cn-hangzhou',
          dryRun: false,
          resources,
          rejected,
        };
        // Act
        const plan = planManifest(manifest);
        // Assess
        expectPlanInvariants(manifest, plan);
        expect(planManifest(manifest)).toStrictEqual(plan);
      }),
      { numRuns: 300 },
    );
  });
});
