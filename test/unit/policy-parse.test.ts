import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyError, type ValidationIssue } from '../../lib/core/errors.ts';
import { RESOURCE_TYPES } from '../../lib/core/manifest/types.ts';
import { MAX_POLICY_CHARACTERS, parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import type { Policy } from '../../lib/core/policy/policy.ts';

// The example of issue 10 §1, as YAML text.
const ISSUE_EXAMPLE = `version: 1
name: no-temporary-tags            # appears in manifest ids and logs
regions: [cn-hangzhou, cn-shanghai]
resourceTypes: [instance, disk]
remove:
  - key: tmp
  - keyPrefix: "ci-"
  - keyPattern: "^build-[0-9]+$"
  - key: env
    values: [legacy, old]
keepOnly: [owner, env, cost-center]
protect:
  - key: "tag-cleanup:protect"
    value: "true"
exclude:
  resourceIds: [i-keepme]
maxResources: 5000
`;

const ISSUE_EXAMPLE_POLICY: Policy = {
  version: 1,
  name: 'no-temporary-tags',
  regions: ['cn-hangzhou', 'cn-shanghai'],
  resourceTypes: ['instance', 'disk'],
  remove: [
    { key: 'tmp' },
    { keyPrefix: 'ci-' },
    { keyPattern: '^build-[0-9]+$' },
    { key: 'env', values: ['legacy', 'old'] },
  ],
  keepOnly: ['owner', 'env', 'cost-center'],
  protect: [{ key: 'tag-cleanup:protect', value: 'true' }],
  exclude: { resourceIds: ['i-keepme'] },
  maxResources: 5000,
};

/** A minimal valid policy as a plain value, overridable field by field (`undefined` drops a field). */
function policyValue(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const value: Record<string, unknown> = { version: 1, name: 'p', regions: ['cn-hangzhou'], remove: [{ key: 'tmp' }] };
  for (const [field, v] of Object.entries(overrides)) {
    if (v === undefined) delete value[field];
    else value[field] = v;
  }
  return value;
}

/** The issues of the PolicyError that parsing `text` throws; fails the test if parsing succeeds. */
function policyIssues(text: string, sourceName = 'policy.yaml'): readonly ValidationIssue[] {
  try {
    parsePolicy(text, sourceName);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('expected a PolicyError, but parsing succeeded');
}

/** Every issue must explain itself: a path string and a non-empty reason. */
function expectExplained(issues: readonly ValidationIssue[]): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(typeof issue.path).toBe('string');
    expect(issue.reason.length).toBeGreaterThan(0);
  }
}

describe('parsePolicy accepts', () => {
  it('the issue example, with every field as written', () => {
    // Act
    const { policy } = parsePolicy(ISSUE_EXAMPLE, 'policy.yaml');
    // Assess
    expect(policy).toStrictEqual(ISSUE_EXAMPLE_POLICY);
  });

  it('the same policy written as JSON', () => {
    // Prepare
    const json = JSON.stringify(ISSUE_EXAMPLE_POLICY, null, 2);
    // Act
    const { policy } = parsePolicy(json, 'policy.json');
    // Assess
    expect(policy).toStrictEqual(ISSUE_EXAMPLE_POLICY);
  });

  it('a minimal policy, filling in every default', () => {
    // Act
    const { policy } = parsePolicy('version: 1\nname: p\nregions: [cn-hangzhou]\nremove: [{key: tmp}]\n', 'p.yaml');
    // Assess
    expect(policy).toStrictEqual({
      version: 1,
      name: 'p',
      regions: ['cn-hangzhou'],
      resourceTypes: RESOURCE_TYPES,
      remove: [{ key: 'tmp' }],
      protect: [],
      exclude: { resourceIds: [] },
      maxResources: 10_000,
    });
  });

  it('keepOnly without remove', () => {
    // Act
    const { policy } = parsePolicy(JSON.stringify(policyValue({ remove: undefined, keepOnly: ['owner'] })), 'p.json');
    // Assess
    expect(policy.remove).toStrictEqual([]);
    expect(policy.keepOnly).toStrictEqual(['owner']);
  });

  it('a system key in protect, since resource-group membership is a fair reason to protect', () => {
    // Act
    const { policy } = parsePolicy(
      JSON.stringify(policyValue({ protect: [{ key: 'acs:rm:rgId', value: 'rg-prod' }] })),
      'p',
    );
    // Assess
    expect(policy.protect).toStrictEqual([{ key: 'acs:rm:rgId', value: 'rg-prod' }]);
  });

  it('the example policy shipped in policies/', () => {
    // Prepare
    const text = readFileSync(new URL('../../policies/no-temporary-tags.yaml', import.meta.url), 'utf8');
    // Act
    const { policy } = parsePolicy(text, 'no-temporary-tags.yaml');
    // Assess
    expect(policy.name).toBe('no-temporary-tags');
    expect(policy.regions).toContain('cn-hangzhou');
    expect(policy.remove.length).toBeGreaterThan(0);
  });
});

describe('parsePolicy policySha256', () => {
  it('is the hex SHA-256 of the exact text, so any edit changes it', () => {
    // Prepare
    const edited = `${ISSUE_EXAMPLE}\n`;
    // Act
    const first = parsePolicy(ISSUE_EXAMPLE, 'a').policySha256;
    const second = parsePolicy(edited, 'a').policySha256;
    // Assess
    expect(first).toBe(createHash('sha256').update(ISSUE_EXAMPLE, 'utf8').digest('hex'));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
  });
});

describe('parsePolicy refuses a bad field value, naming its path and reason', () => {
  it.each([
    ['version as text', { version: '1' }, 'version', 'must be the number 1; got "1"'],
    ['version 2', { version: 2 }, 'version', 'must be the number 1; got 2'],
    ['no version', { version: undefined }, 'version', 'is required'],
    ['an empty name', { name: '' }, 'name', 'must be 1–64 characters'],
    ['a name with a space', { name: 'no tmp' }, 'name', 'got "no tmp"'],
    ['a 65-character name', { name: 'n'.repeat(65) }, 'name', 'must be 1–64 characters'],
    ['a number as name', { name: 5 }, 'name', 'must be a string; got 5 (quote it'],
    ['no regions', { regions: [] }, 'regions', 'must list at least one region'],
    ['regions as text', { regions: 'cn-hangzhou' }, 'regions', 'must be a list'],
    ['a region in capitals', { regions: ['CN-Hangzhou'] }, 'regions[0]', 'must look like cn-hangzhou'],
    ['a repeated region', { regions: ['cn-hangzhou', 'cn-hangzhou'] }, 'regions[1]', 'repeats "cn-hangzhou"'],
    ['a capitalised resource type', { resourceTypes: ['Instance'] }, 'resourceTypes[0]', '(lower case)'],
    ['no resource types', { resourceTypes: [] }, 'resourceTypes', 'at least one resource type'],
    ['an empty remove', { remove: [] }, 'remove', 'at least one entry'],
    ['remove as a map', { remove: { key: 'tmp' } }, 'remove', 'must be a list; got an object'],
    ['a remove entry without matcher', { remove: [{}] }, 'remove[0]', 'needs one of key, keyPrefix or keyPattern'],
    [
      'key and keyPrefix in one entry',
      { remove: [{ key: 'a', keyPrefix: 'b' }] },
      'remove[0]',
      'got key and keyPrefix',
    ],
    ['an empty key', { remove: [{ key: '' }] }, 'remove[0].key', 'must not be empty'],
    ['a 129-character key', { remove: [{ key: 'k'.repeat(129) }] }, 'remove[0].key', 'at most 128 characters'],
    ['a key with a tab', { remove: [{ key: 'a\tb' }] }, 'remove[0].key', 'control characters; found U+0009'],
    ['a key with a URL', { remove: [{ key: 'see https://x' }] }, 'remove[0].key', 'must not contain "https://"'],
    ['a system key (acs:)', { remove: [{ key: 'acs:rm:rgId' }] }, 'remove[0].key', 'names a system tag'],
    ['a system key (aliyun)', { remove: [{ key: 'aliyun-x' }] }, 'remove[0].key', 'names a system tag'],
    ['a system prefix (acs:)', { remove: [{ keyPrefix: 'acs:' }] }, 'remove[0].keyPrefix', 'only matches a system tag'],
    ['a system prefix (aliyun)', { remove: [{ keyPrefix: 'aliyunX' }] }, 'remove[0].keyPrefix', 'system tag'],
    [
      'a pattern that does not compile',
      { remove: [{ keyPattern: '(' }] },
      'remove[0].keyPattern',
      'Unterminated group',
    ],
    ['an empty pattern', { remove: [{ keyPattern: '' }] }, 'remove[0].keyPattern', 'must not be empty'],
    ['an empty values list', { remove: [{ key: 'a', values: [] }] }, 'remove[0].values', 'at least one value'],
    ['a number among values', { remove: [{ key: 'a', values: [1] }] }, 'remove[0].values[0]', 'must be a string'],
    ['an empty keepOnly', { keepOnly: [] }, 'keepOnly', 'would remove every tag'],
    ['a system key in keepOnly', { keepOnly: ['aliyun-x'] }, 'keepOnly[0]', 'system tag'],
    ['a protect entry without key', { protect: [{ value: 'x' }] }, 'protect[0].key', 'is required'],
    ['an unquoted boolean value', { protect: [{ key: 'k', value: true }] }, 'protect[0].value', 'quote it'],
    ['protect as a map', { protect: { key: 'k' } }, 'protect', 'must be a list'],
    ['exclude as a list', { exclude: ['i-1'] }, 'exclude', 'must be a map of fields; got an array'],
    ['a bad resource id', { exclude: { resourceIds: ['i 1'] } }, 'exclude.resourceIds[0]', 'must be a resource id'],
    ['a zero brake', { maxResources: 0 }, 'maxResources', 'must be a positive integer; got 0'],
    ['a fractional brake', { maxResources: 1.5 }, 'maxResources', 'got 1.5'],
    ['a brake as text', { maxResources: '10' }, 'maxResources', 'must be a positive integer; got "10"'],
    ['neither remove nor keepOnly', { remove: undefined }, '', 'needs remove, keepOnly or both'],
  ])('%s', (_label, overrides, path, reason) => {
    // Prepare
    const text = JSON.stringify(policyValue(overrides));
    // Act
    const issues = policyIssues(text, 'policy.json');
    // Assess
    expectExplained(issues);
    const issue = issues.find((i) => i.path === path);
    expect(issue?.reason).toContain(reason);
    expect(issue?.reason).toMatch(/\(policy\.json:1:\d+\)$/);
  });
});

describe('parsePolicy refuses an unknown field at every level, naming the field', () => {
  it.each([
    ['the top level', { bogus: 1 }, 'bogus', 'allowed fields are version, name'],
    ['a remove entry', { remove: [{ key: 'tmp', Values: ['x'] }] }, 'remove[0].Values', 'did you mean "values"?'],
    [
      'a protect entry',
      { protect: [{ key: 'k', values: ['x'] }] },
      'protect[0].values',
      'allowed fields are key, value',
    ],
    ['exclude', { exclude: { ids: ['i-1'] } }, 'exclude.ids', 'allowed fields are resourceIds'],
    ['the top level, named __proto__', { ['__proto__']: 1 }, '__proto__', 'unknown field'],
  ])('%s', (_label, overrides, path, reason) => {
    // Prepare
    const text = JSON.stringify({ ...policyValue(), ...overrides });
    // Act
    const issues = policyIssues(text, 'policy.json');
    // Assess
    expectExplained(issues);
    expect(issues.find((i) => i.path === path)?.reason).toContain(reason);
  });
});

describe('parsePolicy locates YAML problems by path and line:column', () => {
  it.each([
    ['a duplicate top-level key', 'version: 1\nname: a\nname: b\n', 'name', 'duplicate key', 'p.yaml:3:1'],
    [
      'a duplicate key in an entry',
      'version: 1\nremove:\n  - key: a\n    key: b\n',
      'remove[0].key',
      'duplicate key',
      'p.yaml:4:5',
    ],
    ['a duplicate key in JSON', '{"version": 1, "version": 1}', 'version', 'duplicate key', 'p.yaml:1:16'],
    ['an unclosed quote', 'version: 1\nname: "oops\n', '', 'YAML error (MISSING_CHAR)', 'p.yaml:3:1'],
    ['a bad indent', 'version: 1\nregions: [cn-hangzhou\nname: a\n', 'name', 'YAML error (BAD_INDENT)', 'p.yaml:3:1'],
    ['an unknown YAML tag', 'version: 1\nname: !secret a\n', 'name', 'Unresolved tag', 'p.yaml:2:7'],
    ['two documents', 'version: 1\n---\nversion: 1\n', '', 'multiple documents', 'p.yaml:2:1'],
  ])('%s', (_label, text, path, reason, location) => {
    // Act
    const issues = policyIssues(text, 'p.yaml');
    // Assess
    expectExplained(issues);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.reason).toContain(reason);
    expect(issues[0]?.reason).toContain(location);
  });

  it('points a schema problem at its line in a multi-line file', () => {
    // Prepare
    const text = ISSUE_EXAMPLE.replace('keyPattern: "^build-[0-9]+$"', 'keyPattern: "^build-[0-9+$"');
    // Act
    const issues = policyIssues(text, 'policy.yaml');
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('remove[2].keyPattern');
    expect(issues[0]?.reason).toMatch(/^must compile as a JavaScript regular expression: .+ \(policy\.yaml:8:5\)$/);
  });
});

describe('parsePolicy refuses whole files that are not a policy', () => {
  it.each([
    ['an empty file', '', 'is empty'],
    ['a bare word', 'hello\n', 'must be a map of fields; got "hello"'],
    ['a list', '- version: 1\n', 'must be a map of fields; got an array'],
    ['an alias without anchor', 'version: 1\nname: *missing\n', 'YAML error'],
    ['an oversized file', `# ${'x'.repeat(MAX_POLICY_CHARACTERS)}\n`, 'a policy may have at most'],
  ])('%s', (_label, text, reason) => {
    // Act
    const issues = policyIssues(text);
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('');
    expect(issues[0]?.reason).toContain(reason);
  });

  it('reports every problem of a file at once, and names them in the message', () => {
    // Prepare
    const text = JSON.stringify(policyValue({ version: 2, name: '', remove: [{ keyPattern: '[' }], bogus: true }));
    // Act
    const act = () => parsePolicy(text, 'policy.json');
    // Assess
    expect(act).toThrow(PolicyError);
    expect(policyIssues(text).map((i) => i.path)).toStrictEqual(['version', 'name', 'remove[0].keyPattern', 'bogus']);
    expect(act).toThrow(/invalid policy: version: must be the number 1/);
  });
});
