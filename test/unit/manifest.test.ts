import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManifestError, type ValidationIssue } from '../../lib/core/errors.ts';
import { formatPath } from '../../lib/core/manifest/issues.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import {
  DEFAULT_MAX_RESOURCES,
  type Manifest,
  RESOURCE_TYPES,
  type RejectedEntry,
} from '../../lib/core/manifest/types.ts';
import { serializeManifest } from '../../lib/core/manifest/wire.ts';

// Factories: a valid wire entry and manifest, overridable field by field.
function wireEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { resourceType: 'disk', resourceId: 'd-bp1abc', tags: [{ key: 'tmp' }], ...overrides };
}

function wireManifest(overrides: Record<string, unknown> = {}, resources: unknown[] = [wireEntry()]) {
  return { version: 1, manifestId: 'sweep-0001', regionId: 'cn-hangzhou', resources, ...overrides };
}

/** The issues of the ManifestError that `act` throws; fails the test if it throws anything else. */
function manifestIssues(act: () => unknown): readonly ValidationIssue[] {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).issues;
  }
  throw new Error('expected a ManifestError, but parsing succeeded');
}

/** Parses a manifest holding only `entry` and returns the single rejection it must produce. */
function rejectionOf(entry: unknown): RejectedEntry {
  const manifest = parseManifest(wireManifest({}, [entry]));
  expect(manifest.resources).toHaveLength(0);
  expect(manifest.rejected).toHaveLength(1);
  return manifest.rejected[0] as RejectedEntry;
}

/** Parses a manifest whose only entry has these tags and returns the reasons it was rejected. */
function tagReasons(tags: unknown): string[] {
  return rejectionOf(wireEntry({ tags })).issues.map((i) => `${i.path}: ${i.reason}`);
}

function exampleManifest(name: string): string {
  return readFileSync(new URL(`../../examples/manifests/${name}`, import.meta.url), 'utf8');
}

describe('parseManifest body decoding', () => {
  it('reads JSON text, a Buffer, a Uint8Array and a parsed value alike', () => {
    // Prepare
    const value = wireManifest();
    const text = JSON.stringify(value);
    // Act
    const results = [
      parseManifest(text),
      parseManifest(Buffer.from(text)),
      parseManifest(new TextEncoder().encode(text)),
      parseManifest(value),
    ];
    // Assess
    for (const result of results) expect(result).toStrictEqual(results[3]);
    expect(results[0]?.resources[0]?.resourceId).toBe('d-bp1abc');
  });

  it('ignores a leading UTF-8 byte order mark', () => {
    // Prepare
    const text = `\uFEFF${JSON.stringify(wireManifest())}`;
    // Act
    const fromText = parseManifest(text);
    const fromBytes = parseManifest(new TextEncoder().encode(text));
    // Assess
    expect(fromText.manifestId).toBe('sweep-0001');
    expect(fromBytes.manifestId).toBe('sweep-0001');
  });

  it('rejects text that is not JSON at the root path, naming the line and column of the fault', () => {
    // Act
    const issues = manifestIssues(() => parseManifest('{\n  "version": 1,\n  "manifestId": }'));
    // Assess
    expect(issues).toStrictEqual([
      { path: '', reason: 'body is not valid JSON at line 3, column 17: expected a value' },
    ]);
  });

  it('refuses a duplicated dryRun instead of letting the last one turn a dry run into a real one', () => {
    // Prepare
    const body =
      '{"version":1,"manifestId":"m","regionId":"cn-hangzhou",\n"dryRun":true,"dryRun":false,"resources":[]}';
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toStrictEqual([
      {
        path: 'dryRun',
        reason: 'duplicate key "dryRun" at line 2, column 15; each field may appear only once in an object',
      },
    ]);
  });

  it('refuses a duplicate key inside an entry, naming its full path, and reads bytes alike', () => {
    // Prepare
    const entry = '{"resourceType":"disk","resourceId":"d-1","tags":[{"key":"env","value":"dev","value":"prod"}]}';
    const body = `{"version":1,"manifestId":"m","regionId":"cn-hangzhou","resources":[${entry}]}`;
    // Act
    const fromText = manifestIssues(() => parseManifest(body));
    const fromBytes = manifestIssues(() => parseManifest(new TextEncoder().encode(body)));
    // Assess
    expect(fromText.map((i) => i.path)).toStrictEqual(['resources[0].tags[0].value']);
    expect(fromBytes).toStrictEqual(fromText);
  });

  it.each(['', '   \n\t'])('rejects an empty body %j', (body) => {
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toStrictEqual([{ path: '', reason: 'body is empty; expected a JSON object' }]);
  });

  it('rejects bytes that are not UTF-8 instead of patching them', () => {
    // Prepare
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    // Act
    const issues = manifestIssues(() => parseManifest(bytes));
    // Assess
    expect(issues).toStrictEqual([{ path: '', reason: 'body is not valid UTF-8' }]);
  });

  it.each([
    ['null', 'null'],
    ['a number', '5'],
    ['a string', '"manifest"'],
    ['an array', '[]'],
    ['a boolean', 'true'],
  ])('rejects %s at the root', (_label, body) => {
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.reason).toMatch(/^manifest must be a JSON object; got /);
  });

  it('keeps the ManifestError message readable with every issue in it', () => {
    // Act
    let message = '';
    try {
      parseManifest(wireManifest({ manifestId: '', regionId: 'CN' }));
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toContain('invalid manifest: manifestId: manifestId must not be empty; regionId: regionId must');
  });
});

describe('parseManifest version', () => {
  it('requires a version', () => {
    // Prepare
    const { version: _omitted, ...body } = wireManifest();
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toStrictEqual([{ path: 'version', reason: 'version is required; this build reads version 1' }]);
  });

  it.each([
    [2, 'unsupported version 2; this build reads version 1'],
    ['1', 'version must be the number 1 (got the string "1")'],
    [null, 'version must be the number 1 (got null)'],
    [true, 'version must be the number 1 (got true)'],
  ])('rejects version %j', (version, reason) => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ version })));
    // Assess
    expect(issues).toStrictEqual([{ path: 'version', reason }]);
  });

  it('reports only the version when a newer manifest also has fields this build does not know', () => {
    // Prepare
    const body = { version: 2, manifest: 'x', targets: [] };
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues.map((i) => i.path)).toStrictEqual(['version']);
  });
});

describe('parseManifest manifest fields', () => {
  it('defaults dryRun to false and keeps an explicit true', () => {
    // Act
    const defaulted = parseManifest(wireManifest());
    const dry = parseManifest(wireManifest({ dryRun: true }));
    // Assess
    expect(defaulted.dryRun).toBe(false);
    expect(dry.dryRun).toBe(true);
  });

  it('rejects a misspelt dryRun instead of running for real', () => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ dryrun: true })));
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('dryrun');
    expect(issues[0]?.reason).toMatch(/^unknown field \(did you mean "dryRun"\? names are case-sensitive\)/);
  });

  it('rejects a dryRun that is not a boolean', () => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ dryRun: 'false' })));
    // Assess
    expect(issues).toStrictEqual([{ path: 'dryRun', reason: 'dryRun must be true or false; got "false"' }]);
  });

  it.each([
    [undefined, 'manifestId is required'],
    ['', 'manifestId must not be empty'],
    ['a'.repeat(129), 'manifestId must be at most 128 characters; got 129'],
    ['has space', 'manifestId must contain only letters, digits, ".", "_", ":" and "-"; got "has space"'],
    [7, 'manifestId must be a string; got 7'],
  ])('rejects manifestId %j', (manifestId, reason) => {
    // Prepare
    const body = manifestId === undefined ? { ...wireManifest(), manifestId: undefined } : wireManifest({ manifestId });
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toStrictEqual([{ path: 'manifestId', reason }]);
  });

  it('accepts a manifestId of 128 characters with every allowed punctuation mark', () => {
    // Prepare
    const manifestId = `a.b_c:d-${'x'.repeat(120)}`;
    // Act
    const manifest = parseManifest(wireManifest({ manifestId }));
    // Assess
    expect(manifest.manifestId).toBe(manifestId);
  });

  it.each([
    'CN-Hangzhou',
    'cn',
    'cn_hangzhou',
    'cn-hangzhou.evil.example',
    'cn-hangzhou\n',
    '-cn-x',
    `cn-${'a'.repeat(62)}`,
  ])('rejects the manifest region %j at the manifest level', (regionId) => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ regionId })));
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('regionId');
    expect(issues[0]?.reason).toMatch(/^regionId must /);
  });

  it.each(['cn-hangzhou', 'us-west-1', 'ap-southeast-1', 'cn-shanghai-finance-1', `cn-${'a'.repeat(61)}`])(
    'accepts the region %j',
    (regionId) => {
      // Act
      const manifest = parseManifest(wireManifest({ regionId }));
      // Assess
      expect(manifest.regionId).toBe(regionId);
    },
  );

  it.each([
    [undefined, 'resources is required; list the resources to clean up'],
    [{}, 'resources must be an array; got an object'],
    [null, 'resources must be an array; got null'],
  ])('rejects resources %j', (resources, reason) => {
    // Prepare
    const body = { ...wireManifest(), resources };
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toStrictEqual([{ path: 'resources', reason }]);
  });

  it('accepts an empty resources list', () => {
    // Act
    const manifest = parseManifest(wireManifest({}, []));
    // Assess
    expect(manifest.resources).toStrictEqual([]);
    expect(manifest.rejected).toStrictEqual([]);
  });

  it('rejects more resources than the default cap, naming the cap and the count', () => {
    // Prepare
    const resources = Array.from({ length: DEFAULT_MAX_RESOURCES + 1 }, () => 0);
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({}, resources)));
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('resources');
    expect(issues[0]?.reason).toContain('10001 entries');
    expect(issues[0]?.reason).toContain('the cap is 10000');
  });

  it('honours a custom maxResources and accepts a manifest exactly at the cap', () => {
    // Prepare
    const three = [wireEntry(), wireEntry(), wireEntry()];
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({}, three), { maxResources: 2 }));
    const atCap = parseManifest(wireManifest({}, three), { maxResources: 3 });
    // Assess
    expect(issues[0]?.reason).toBe(
      'resources lists 3 entries; the cap is 2 per manifest (split the manifest, or raise TAG_CLEANUP_MAX_RESOURCES)',
    );
    expect(atCap.resources).toHaveLength(3);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a maxResources of %s as a caller bug', (maxResources) => {
    // Act / Assess
    expect(() => parseManifest(wireManifest(), { maxResources })).toThrow(RangeError);
  });

  it('reports every manifest-level problem at once', () => {
    // Prepare
    const body = { version: 1, manifestId: '', regionId: 'X', resources: 'none', extra: 1 };
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues.map((i) => i.path).sort()).toStrictEqual(['extra', 'manifestId', 'regionId', 'resources']);
    for (const issue of issues) expect(issue.reason.length).toBeGreaterThan(0);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString'])('rejects the top-level key %j as unknown', (key) => {
    // Prepare
    const body = JSON.parse(
      `{"version":1,"manifestId":"m","regionId":"cn-hangzhou","resources":[],"${key}":{"dryRun":true}}`,
    );
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(formatPath([key]));
    expect(issues[0]?.reason).toMatch(/^unknown field/);
  });

  it('caps the issues listed for a manifest with thousands of unknown keys', () => {
    // Prepare
    const body: Record<string, unknown> = wireManifest();
    for (let i = 0; i < 5000; i += 1) body[`extra${i}`] = i;
    // Act
    const issues = manifestIssues(() => parseManifest(body));
    // Assess
    expect(issues).toHaveLength(51);
    expect(issues[50]?.reason).toBe('and 4950 more problems not listed');
  });
});

describe('parseManifest continuation and part', () => {
  it('reads a full continuation and part', () => {
    // Prepare
    const continuation = {
      attempt: 2,
      sourceMessageId: 'msg-1',
      lastError: { code: 'Throttling.User', message: 'slow down' },
    };
    // Act
    const manifest = parseManifest(wireManifest({ continuation, part: { index: 2, count: 3 } }));
    // Assess
    expect(manifest.continuation).toStrictEqual(continuation);
    expect(manifest.part).toStrictEqual({ index: 2, count: 3 });
  });

  it('leaves continuation and part out when absent', () => {
    // Act
    const manifest = parseManifest(wireManifest());
    // Assess
    expect('continuation' in manifest).toBe(false);
    expect('part' in manifest).toBe(false);
  });

  it.each([
    [{ attempt: 0 }, 'continuation.attempt', 'continuation.attempt must be a positive integer; got 0'],
    [{ attempt: 1.5 }, 'continuation.attempt', 'continuation.attempt must be a positive integer; got 1.5'],
    [{}, 'continuation.attempt', 'continuation.attempt is required'],
    [
      { attempt: 1, sourceMessageId: 5 },
      'continuation.sourceMessageId',
      'continuation.sourceMessageId must be a string; got 5',
    ],
    [
      { attempt: 1, lastError: { code: 'X' } },
      'continuation.lastError.message',
      'continuation.lastError.message must be a string; got nothing',
    ],
    [
      { attempt: 1, retries: 2 },
      'continuation.retries',
      'unknown field; allowed fields are attempt, sourceMessageId, lastError',
    ],
    ['again', 'continuation', 'continuation must be an object; got "again"'],
  ])('rejects continuation %j', (continuation, path, reason) => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ continuation })));
    // Assess
    expect(issues).toStrictEqual([{ path, reason }]);
  });

  it.each([
    [{ index: 4, count: 3 }, 'part.index', 'part.index (4) must not exceed part.count (3)'],
    [{ index: 0, count: 3 }, 'part.index', 'part.index must be a positive integer; got 0'],
    [{ index: 1, count: '3' }, 'part.count', 'part.count must be a positive integer; got "3"'],
    [{ index: 1, count: 1, of: 2 }, 'part.of', 'unknown field; allowed fields are index, count'],
  ])('rejects part %j', (part, path, reason) => {
    // Act
    const issues = manifestIssues(() => parseManifest(wireManifest({ part })));
    // Assess
    expect(issues).toStrictEqual([{ path, reason }]);
  });
});

describe('parseManifest entries', () => {
  it('resolves an entry without regionId to the manifest region', () => {
    // Act
    const manifest = parseManifest(wireManifest());
    // Assess
    expect(manifest.resources).toStrictEqual([
      { index: 0, regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-bp1abc', tags: [{ key: 'tmp' }] },
    ]);
  });

  it('uses the entry regionId when it overrides the manifest region', () => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ regionId: 'cn-shenzhen' })]));
    // Assess
    expect(manifest.resources[0]?.regionId).toBe('cn-shenzhen');
  });

  it('rejects an invalid entry regionId on that entry only and keeps the string for the outcome', () => {
    // Act
    const rejected = rejectionOf(wireEntry({ regionId: 'CN-Shenzhen' }));
    // Assess
    expect(rejected.regionId).toBe('CN-Shenzhen');
    expect(rejected.issues.map((i) => i.path)).toStrictEqual(['resources[0].regionId']);
  });

  it.each(RESOURCE_TYPES)('accepts the resource type %s', (resourceType) => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ resourceType })]));
    // Assess
    expect(manifest.resources[0]?.resourceType).toBe(resourceType);
  });

  it('tells the user resource types are lower case', () => {
    // Act
    const rejected = rejectionOf(wireEntry({ resourceType: 'Instance', resourceId: 'i-bp1bad01' }));
    // Assess
    expect(rejected.issues).toStrictEqual([
      {
        path: 'resources[0].resourceType',
        reason:
          'resourceType must be one of image, instance, snapshot, disk, securitygroup (lower case); got "Instance"',
      },
    ]);
    expect(rejected).toMatchObject({
      index: 0,
      regionId: 'cn-hangzhou',
      resourceType: 'Instance',
      resourceId: 'i-bp1bad01',
    });
  });

  it.each([
    ['INSTANCE', /got "INSTANCE"$/],
    ['vm', /got "vm"$/],
    ['', /got ""$/],
    [5, /got 5$/],
    [undefined, /^resourceType is required; one of image, instance, snapshot, disk, securitygroup \(lower case\)$/],
  ])('rejects the resource type %j', (resourceType, reason) => {
    // Act
    const rejected = rejectionOf({ ...wireEntry(), resourceType });
    // Assess
    expect(rejected.issues).toHaveLength(1);
    expect(rejected.issues[0]?.reason).toMatch(reason);
  });

  it.each([
    ['', 'resourceId must not be empty'],
    [
      '-bp1abc',
      'resourceId must start with a letter or digit and contain only letters, digits, ".", "_", ":" and "-"; got "-bp1abc"',
    ],
    [
      'd bp1',
      'resourceId must start with a letter or digit and contain only letters, digits, ".", "_", ":" and "-"; got "d bp1"',
    ],
    [
      'd/../x',
      'resourceId must start with a letter or digit and contain only letters, digits, ".", "_", ":" and "-"; got "d/../x"',
    ],
    ['d'.repeat(129), 'resourceId must be at most 128 characters; got 129'],
    [123, 'resourceId must be a string; got 123'],
    [undefined, 'resourceId is required'],
  ])('rejects the resource id %j', (resourceId, reason) => {
    // Act
    const rejected = rejectionOf({ ...wireEntry(), resourceId });
    // Assess
    expect(rejected.issues).toStrictEqual([{ path: 'resources[0].resourceId', reason }]);
  });

  it.each(['d'.repeat(128), 'i-bp1:x.y_z', '0abc'])('accepts the resource id %j', (resourceId) => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ resourceId })]));
    // Assess
    expect(manifest.resources[0]?.resourceId).toBe(resourceId);
  });

  it.each([
    ['tag', { tag: 'x' }, 'resources[0].tag'],
    ['Tags', { Tags: [] }, 'resources[0].Tags'],
    ['__proto__', '{"__proto__": {"resourceType": "instance"}}', 'resources[0].__proto__'],
    ['constructor', { constructor: 1 }, 'resources[0].constructor'],
  ])('rejects an entry with the unknown key %s', (_key, extra, path) => {
    // Prepare: JSON.parse makes "__proto__" an own key, as a message body would.
    const entry = typeof extra === 'string' ? { ...JSON.parse(extra), ...wireEntry() } : { ...wireEntry(), ...extra };
    // Act
    const rejected = rejectionOf(entry);
    // Assess
    expect(rejected.issues).toHaveLength(1);
    expect(rejected.issues[0]?.path).toBe(path);
    expect(rejected.issues[0]?.reason).toMatch(/^unknown field/);
  });

  it('rejects a tag with a capitalised Value rather than removing the key outright', () => {
    // Act
    const reasons = tagReasons([{ key: 'env', Value: 'prod' }]);
    // Assess
    expect(reasons).toStrictEqual([
      'resources[0].tags[0].Value: unknown field (did you mean "value"? names are case-sensitive); allowed fields are key, value',
    ]);
  });

  it('rejects a tag carrying a __proto__ key', () => {
    // Act
    const reasons = tagReasons(JSON.parse('[{"key": "env", "__proto__": {"value": "x"}}]'));
    // Assess
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^resources\[0\]\.tags\[0\]\.__proto__: unknown field/);
  });

  it.each([
    [undefined, 'resources[0].tags: tags is required; list at least one {key, value?} tag'],
    [null, 'resources[0].tags: tags must be an array of {key, value?} objects; got null'],
    [{ key: 'tmp' }, 'resources[0].tags: tags must be an array of {key, value?} objects; got an object'],
    [[], 'resources[0].tags: tags must list at least one tag'],
    [['tmp'], 'resources[0].tags[0]: tag must be an object; got "tmp"'],
    [[null], 'resources[0].tags[0]: tag must be an object; got null'],
  ])('rejects tags %j', (tags, reason) => {
    // Act
    const reasons =
      tags === undefined
        ? rejectionOf({ ...wireEntry(), tags }).issues.map((i) => `${i.path}: ${i.reason}`)
        : tagReasons(tags);
    // Assess
    expect(reasons).toStrictEqual([reason]);
  });

  it('rejects more than 1000 tags in one entry and accepts exactly 1000', () => {
    // Prepare
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}` }));
    // Act
    const reasons = tagReasons(tags(1001));
    const manifest = parseManifest(wireManifest({}, [wireEntry({ tags: tags(1000) })]));
    // Assess
    expect(reasons).toStrictEqual(['resources[0].tags: tags must list at most 1000 tags; got 1001']);
    expect(manifest.resources[0]?.tags).toHaveLength(1000);
  });

  it.each([
    [{}, 'resources[0].tags[0].key: key is required'],
    [{ key: '' }, 'resources[0].tags[0].key: key must not be empty'],
    [{ key: 5 }, 'resources[0].tags[0].key: key must be a string; got 5'],
    [{ key: null }, 'resources[0].tags[0].key: key must be a string; got null'],
    [{ key: 'k'.repeat(129) }, 'resources[0].tags[0].key: key must be at most 128 characters; got 129'],
    [{ key: 'aliyun-owner' }, 'resources[0].tags[0].key: key must not start with "aliyun" (reserved by Alibaba Cloud)'],
    [{ key: 'acs:ecs:x' }, 'resources[0].tags[0].key: key must not start with "acs:" (reserved by Alibaba Cloud)'],
    [{ key: 'see-http://x' }, 'resources[0].tags[0].key: key must not contain "http://"'],
    [{ key: 'https://x' }, 'resources[0].tags[0].key: key must not contain "https://"'],
  ])('rejects the tag %j', (tag, reason) => {
    // Act
    const reasons = tagReasons([tag]);
    // Assess
    expect(reasons).toStrictEqual([reason]);
  });

  it.each([
    [
      { key: 'env', value: null },
      'resources[0].tags[0].value: value must be a string; to remove the key whatever its value, omit value instead of null',
    ],
    [{ key: 'env', value: 3 }, 'resources[0].tags[0].value: value must be a string; got 3'],
    [
      { key: 'env', value: 'v'.repeat(129) },
      'resources[0].tags[0].value: value must be at most 128 characters; got 129',
    ],
    [
      { key: 'env', value: 'aliyun' },
      'resources[0].tags[0].value: value must not start with "aliyun" (reserved by Alibaba Cloud)',
    ],
    [
      { key: 'env', value: 'acs:x' },
      'resources[0].tags[0].value: value must not start with "acs:" (reserved by Alibaba Cloud)',
    ],
    [{ key: 'env', value: 'at http://x' }, 'resources[0].tags[0].value: value must not contain "http://"'],
    [{ key: 'env', value: 'https://x' }, 'resources[0].tags[0].value: value must not contain "https://"'],
  ])('rejects the tag value in %j', (tag, reason) => {
    // Act
    const reasons = tagReasons([tag]);
    // Assess
    expect(reasons).toStrictEqual([reason]);
  });

  it.each([
    [{ key: '\ud800' }, 'resources[0].tags[0].key: key must be valid Unicode text; it contains a lone surrogate'],
    [
      { key: 'env', value: 'a\udfffb' },
      'resources[0].tags[0].value: value must be valid Unicode text; it contains a lone surrogate',
    ],
  ])('rejects text the signer could not encode in %j', (tag, reason) => {
    // Prepare: as JSON text, the way a message body carries an unpaired surrogate escape.
    const body = JSON.stringify(wireManifest({}, [wireEntry({ tags: [tag] })]));
    // Act
    const manifest = parseManifest(body);
    // Assess
    expect(manifest.rejected[0]?.issues.map((i) => `${i.path}: ${i.reason}`)).toStrictEqual([reason]);
  });

  it.each([
    [{ key: 'env\u001b[31m' }, 'resources[0].tags[0].key: key must not contain control characters; found \\x1b'],
    [{ key: 'a\u0000b' }, 'resources[0].tags[0].key: key must not contain control characters; found \\x00'],
    [
      { key: 'env', value: 'prod\nok' },
      'resources[0].tags[0].value: value must not contain control characters; found \\x0a',
    ],
    [
      { key: 'env', value: 'x\u007f' },
      'resources[0].tags[0].value: value must not contain control characters; found \\x7f',
    ],
    [{ key: '\tlead' }, 'resources[0].tags[0].key: key must not contain control characters; found \\x09'],
  ])('rejects a C0 control or DEL in the tag %j, naming it as an escape', (tag, reason) => {
    // Act
    const reasons = tagReasons([tag]);
    // Assess
    expect(reasons).toStrictEqual([reason]);
  });

  it('accepts C1 controls and bidi marks in tag text, which only the terminal output escapes', () => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ tags: [{ key: 'a\u0085b', value: '\u202eX' }] })]));
    // Assess
    expect(manifest.rejected).toStrictEqual([]);
    expect(manifest.resources[0]?.tags).toStrictEqual([{ key: 'a\u0085b', value: '\u202eX' }]);
  });

  it.each([
    ['an empty value, distinct from no value', { key: 'env', value: '' }],
    ['a value of 128 characters', { key: 'env', value: 'v'.repeat(128) }],
    ['a key of 128 characters', { key: 'k'.repeat(128) }],
    ['unicode in key and value', { key: '环境', value: 'prüfung 🚀' }],
    // Decision: whitespace is ordinary tag text (Alibaba documents no rule against it); never trimmed,
    // because trimming would change which tag gets removed. Only the empty key is refused.
    ['a whitespace-only key, untrimmed', { key: ' ' }],
    ['surrounding whitespace, untrimmed', { key: ' env ', value: ' prod ' }],
    ['reserved words as keys', { key: '__proto__', value: 'constructor' }],
    // The reserved-prefix rule is applied as written (case-sensitive), so "Aliyun" is an ordinary key.
    ['a prefix that differs only in case', { key: 'Aliyun-note' }],
    ['a URL scheme without slashes', { key: 'http:', value: 'https:/x' }],
  ])('accepts %s', (_label, tag) => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ tags: [tag] })]));
    // Assess
    expect(manifest.rejected).toStrictEqual([]);
    expect(manifest.resources[0]?.tags).toStrictEqual([tag]);
  });

  it('omits value from a key-only tag', () => {
    // Act
    const manifest = parseManifest(wireManifest({}, [wireEntry({ tags: [{ key: 'owner' }] })]));
    // Assess
    expect(manifest.resources[0]?.tags[0]).toStrictEqual({ key: 'owner' });
    expect('value' in (manifest.resources[0]?.tags[0] ?? {})).toBe(false);
  });

  it('counts characters as code points, not UTF-16 units', () => {
    // Prepare: each emoji is one code point but two UTF-16 units.
    const fits = '😀'.repeat(128);
    const tooLong = '😀'.repeat(129);
    // Act
    const accepted = parseManifest(wireManifest({}, [wireEntry({ tags: [{ key: fits, value: fits }] })]));
    const reasons = tagReasons([{ key: tooLong }]);
    // Assess
    expect(accepted.resources[0]?.tags[0]?.key).toBe(fits);
    expect(reasons).toStrictEqual(['resources[0].tags[0].key: key must be at most 128 characters; got 129']);
  });

  it('renders deep paths such as resources[3].tags[1].key', () => {
    // Prepare
    const resources = [wireEntry(), wireEntry(), wireEntry(), wireEntry({ tags: [{ key: 'ok' }, { key: '' }] })];
    // Act
    const manifest = parseManifest(wireManifest({}, resources));
    // Assess
    expect(manifest.rejected[0]?.issues).toStrictEqual([
      { path: 'resources[3].tags[1].key', reason: 'key must not be empty' },
    ]);
  });

  it('rejects a bad entry on its own and keeps the others', () => {
    // Prepare
    const resources = [
      wireEntry({ resourceId: 'd-1' }),
      wireEntry({ resourceId: 'd 2' }),
      wireEntry({ resourceId: 'd-3' }),
    ];
    // Act
    const manifest = parseManifest(wireManifest({}, resources));
    // Assess
    expect(manifest.resources.map((r) => [r.index, r.resourceId])).toStrictEqual([
      [0, 'd-1'],
      [2, 'd-3'],
    ]);
    expect(manifest.rejected.map((r) => r.index)).toStrictEqual([1]);
  });

  it('keeps only the identifying fields that are strings', () => {
    // Act
    const rejected = rejectionOf({ resourceType: 7, resourceId: 'i-1', regionId: ['cn-hangzhou'], tags: [] });
    // Assess
    expect(rejected).toMatchObject({ index: 0, resourceId: 'i-1' });
    expect('resourceType' in rejected).toBe(false);
    expect('regionId' in rejected).toBe(false);
  });

  it.each([
    ['a number', 5],
    ['null', null],
    ['a string', 'd-1'],
    ['an array', [wireEntry()]],
  ])('rejects an entry that is %s, keeping only its index', (_label, entry) => {
    // Act
    const rejected = rejectionOf(entry);
    // Assess
    expect(rejected.index).toBe(0);
    expect(Object.keys(rejected).sort()).toStrictEqual(['index', 'issues']);
    expect(rejected.issues[0]?.path).toBe('resources[0]');
    expect(rejected.issues[0]?.reason).toMatch(/^entry must be an object; got /);
  });

  it('lists several problems of one entry together', () => {
    // Act
    const rejected = rejectionOf({ resourceType: 'Disk', resourceId: '', tags: [{ key: 'aliyun', value: null }] });
    // Assess
    expect(rejected.issues.map((i) => i.path)).toStrictEqual([
      'resources[0].resourceType',
      'resources[0].resourceId',
      'resources[0].tags[0].key',
      'resources[0].tags[0].value',
    ]);
  });

  it('caps the issues kept for one absurd entry', () => {
    // Prepare
    const tags = Array.from({ length: 500 }, () => ({ key: '' }));
    // Act
    const rejected = rejectionOf(wireEntry({ tags }));
    // Assess
    expect(rejected.issues).toHaveLength(21);
    expect(rejected.issues[20]).toStrictEqual({ path: 'resources[0]', reason: 'and 480 more problems not listed' });
  });
});

describe('parseManifest edge cases', () => {
  it('parses a body of several megabytes', () => {
    // Prepare
    const tags = Array.from({ length: 40 }, (_, i) => ({ key: `key-${i}-${'k'.repeat(40)}`, value: 'v'.repeat(60) }));
    const resources = Array.from({ length: 1000 }, (_, i) => wireEntry({ resourceId: `d-${i}`, tags }));
    const body = JSON.stringify(wireManifest({}, resources));
    // Act
    const manifest = parseManifest(body);
    // Assess
    expect(body.length).toBeGreaterThan(4_000_000);
    expect(manifest.resources).toHaveLength(1000);
  });

  it('rejects 10 000-deep nesting without recursing into it', () => {
    // Prepare
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const inTag = `{"version":1,"manifestId":"m","regionId":"cn-hangzhou","resources":[{"resourceType":"disk","resourceId":"d-1","tags":[{"key":${deep}}]}]}`;
    const atTop = `{"version":1,"manifestId":"m","regionId":"cn-hangzhou","resources":[],"x":${deep}}`;
    // Act
    const inTagManifest = parseManifest(inTag);
    const atTopIssues = manifestIssues(() => parseManifest(atTop));
    const wholeIssues = manifestIssues(() => parseManifest(deep));
    // Assess
    expect(inTagManifest.rejected[0]?.issues).toStrictEqual([
      { path: 'resources[0].tags[0].key', reason: 'key must be a string; got an array' },
    ]);
    expect(atTopIssues.map((i) => i.path)).toStrictEqual(['x']);
    expect(wholeIssues[0]?.reason).toBe('manifest must be a JSON object; got an array');
  });

  it('parses 10 000 resources', () => {
    // Prepare
    const resources = Array.from({ length: 10_000 }, (_, i) => wireEntry({ resourceId: `d-${i}` }));
    // Act
    const manifest = parseManifest(JSON.stringify(wireManifest({}, resources)));
    // Assess
    expect(manifest.resources).toHaveLength(10_000);
    expect(manifest.resources[9999]?.index).toBe(9999);
  });

  it('rejects numbers where strings belong', () => {
    // Act
    const issues = manifestIssues(() => parseManifest({ version: 1, manifestId: 1, regionId: 2, resources: [] }));
    const rejected = rejectionOf({ resourceType: 1, resourceId: 2, regionId: 3, tags: [{ key: 4, value: 5 }] });
    // Assess
    expect(issues.map((i) => i.reason)).toStrictEqual([
      'manifestId must be a string; got 1',
      'regionId must be a string; got 2',
    ]);
    expect(rejected.issues).toHaveLength(5);
  });

  it('does not let a __proto__ key change the parsed result', () => {
    // Prepare
    const body =
      '{"version":1,"manifestId":"m","regionId":"cn-hangzhou","resources":[{"resourceType":"disk","resourceId":"d-1","tags":[{"key":"__proto__"},{"key":"constructor","value":"x"}]}]}';
    // Act
    const manifest = parseManifest(body);
    // Assess
    expect(manifest.resources[0]?.tags).toStrictEqual([{ key: '__proto__' }, { key: 'constructor', value: 'x' }]);
    expect(Object.getPrototypeOf(manifest.resources[0]?.tags[0])).toBe(Object.prototype);
  });

  it('describes a long string value briefly in the message', () => {
    // Act
    const rejected = rejectionOf(wireEntry({ resourceType: 'x'.repeat(10_000) }));
    // Assess
    expect(rejected.issues[0]?.reason).toMatch(/got "x{40}…"$/);
  });
});

describe('serializeManifest', () => {
  it('round-trips a parsed manifest through JSON', () => {
    // Prepare
    const original = parseManifest(
      wireManifest(
        { dryRun: true, continuation: { attempt: 1, sourceMessageId: 'm-1' }, part: { index: 1, count: 2 } },
        [
          wireEntry({ tags: [{ key: 'a', value: '' }, { key: 'b' }] }),
          wireEntry({ regionId: 'cn-shenzhen', resourceType: 'snapshot', resourceId: 's-1' }),
        ],
      ),
    );
    // Act
    const again = parseManifest(JSON.stringify(serializeManifest(original)));
    // Assess
    expect(again).toStrictEqual(original);
  });

  it('writes an entry region only when it differs from the manifest region', () => {
    // Prepare
    const manifest = parseManifest(
      wireManifest({}, [wireEntry({ regionId: 'cn-hangzhou' }), wireEntry({ regionId: 'cn-shenzhen' })]),
    );
    // Act
    const wire = serializeManifest(manifest);
    // Assess
    expect('regionId' in (wire.resources[0] ?? {})).toBe(false);
    expect(wire.resources[1]?.regionId).toBe('cn-shenzhen');
  });

  it('drops rejected entries, so indexes are renumbered on the way back', () => {
    // Prepare
    const manifest = parseManifest(wireManifest({}, [5, wireEntry()]));
    // Act
    const again = parseManifest(serializeManifest(manifest));
    // Assess
    expect(again.rejected).toStrictEqual([]);
    expect(again.resources).toStrictEqual([{ ...manifest.resources[0], index: 0 }]);
  });

  it('builds a continuation message from planned resources', () => {
    // Prepare: the shape the handler has after planning (extra fields such as calls are ignored).
    const draft = {
      manifestId: 'sweep-0001',
      regionId: 'cn-hangzhou',
      dryRun: false,
      resources: [
        {
          key: 'cn-shenzhen/disk/d-9',
          regionId: 'cn-shenzhen',
          resourceType: 'disk' as const,
          resourceId: 'd-9',
          entryIndexes: [4],
          tags: [{ key: 'tmp' }],
          calls: [[{ key: 'tmp' }]],
        },
      ],
      continuation: { attempt: 1, lastError: { code: 'Throttling', message: 'rate' } },
    };
    // Act
    const wire = serializeManifest(draft);
    const manifest: Manifest = parseManifest(JSON.stringify(wire));
    // Assess
    expect(wire.resources[0]).toStrictEqual({
      resourceType: 'disk',
      resourceId: 'd-9',
      regionId: 'cn-shenzhen',
      tags: [{ key: 'tmp' }],
    });
    expect(manifest.continuation).toStrictEqual(draft.continuation);
    expect(manifest.resources[0]).toMatchObject({ regionId: 'cn-shenzhen', resourceId: 'd-9' });
  });
});

describe('example manifests', () => {
  it('reads the compliance sweep example with three valid entries', () => {
    // Act
    const manifest = parseManifest(exampleManifest('01-compliance-sweep.json'));
    // Assess
    expect(manifest.regionId).toBe('cn-shenzhen');
    expect(manifest.rejected).toStrictEqual([]);
    expect(manifest.resources.map((r) => `${r.resourceType}/${r.resourceId}`)).toStrictEqual([
      'snapshot/s-946ntx4wr',
      'instance/i-wz9api01',
      'image/m-bp1legacyimg',
    ]);
    expect(manifest.resources[2]?.regionId).toBe('cn-hangzhou');
  });

  it('reads the scratch disks example with one entry rejected for its resource type', () => {
    // Act
    const manifest = parseManifest(exampleManifest('02-scratch-disks.json'));
    // Assess
    expect(manifest.regionId).toBe('cn-hangzhou');
    expect(manifest.resources.map((r) => r.resourceId)).toStrictEqual([
      'd-bp1scratch01',
      'sg-bp1open01',
      'i-bp1web01',
      'd-bp1gone404',
    ]);
    expect(manifest.resources[0]?.tags).toHaveLength(9);
    expect(manifest.rejected).toHaveLength(1);
    expect(manifest.rejected[0]).toMatchObject({ index: 4, resourceType: 'Instance', resourceId: 'i-bp1bad01' });
  });
});
