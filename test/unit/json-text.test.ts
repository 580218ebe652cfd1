import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError, type ValidationIssue } from '../../lib/core/errors.ts';
import { positionAt, readJsonText } from '../../lib/core/manifest/json-text.ts';

/** The issues of the ManifestError that `readJsonText(text)` throws; fails the test if it does not throw one. */
function issuesOf(text: string): readonly ValidationIssue[] {
  try {
    readJsonText(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).issues;
  }
  throw new Error(`expected a ManifestError for ${JSON.stringify(text)}`);
}

describe('readJsonText', () => {
  it.each([
    ['{"a":1,"a":2}', 'a', 'line 1, column 8'],
    ['{"a":{"b":1},"a":{"b":2}}', 'a', 'line 1, column 14'],
    ['{"r":[{"t":[{"k":1},{"k":2,\n"k":3}]}]}', 'r[0].t[1].k', 'line 2, column 1'],
    ['{"\\u0061":1,"a":2}', 'a', 'line 1, column 13'],
    ['[{}, {"x": [0, {"y": 1, "y": 1}]}]', '[1].x[1].y', 'line 1, column 25'],
  ])('refuses %j, naming the key path %s at %s', (text, path, where) => {
    // Act
    const issues = issuesOf(text);
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.reason).toContain(`at ${where};`);
  });

  it('lists every duplicate key, each on its own issue', () => {
    // Act
    const issues = issuesOf('{"dryRun":true,"dryRun":false,"resources":[{"tags":1,"tags":2}]}');
    // Assess
    expect(issues.map((i) => i.path)).toStrictEqual(['dryRun', 'resources[0].tags']);
  });

  it('keeps a key list for a large object and still finds its duplicate', () => {
    // Prepare
    const members = Array.from({ length: 500 }, (_, i) => `"k${i}":${i}`);
    const text = `{${members.join(',')},"k250":0}`;
    // Act
    const issues = issuesOf(text);
    // Assess
    expect(issues.map((i) => i.path)).toStrictEqual(['k250']);
  });

  it('allows the same key in sibling objects and at different depths', () => {
    // Act
    const value = readJsonText('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}');
    // Assess
    expect(value).toStrictEqual({ a: { a: { a: 1 } }, b: [{ a: 1 }, { a: 2 }] });
  });

  it.each([
    ['{"a":1,\n "b": }', 'line 2, column 7: expected a value'],
    ['{"a":1,}', 'line 1, column 8: expected a property name in double quotes'],
    ['[1,2', 'line 1, column 5: the text ends before the closing bracket'],
    ['{"a" 1}', 'line 1, column 6: expected ":" after a property name'],
    ['{"a":1 "b":2}', 'line 1, column 8: expected "," or "}" after a property value'],
    ['[1 2]', 'line 1, column 4: expected "," or "]" after an array element'],
    ['{"a":"x\u0001"}', 'line 1, column 8: unescaped control character \\x01 in a string'],
    ['"\\q"', 'line 1, column 2: invalid escape in a string'],
    ['"\\u12g4"', 'line 1, column 2: \\u must be followed by four hex digits'],
    ['{"a":1} x', 'line 1, column 9: unexpected text after the end of the JSON value'],
    ['\r\n\r\n  nope', 'line 3, column 3: expected a value'],
    ['"open', 'line 1, column 1: the text ends inside a string'],
  ])('places the syntax error of %j at %s', (text, detail) => {
    // Act
    const issues = issuesOf(text);
    // Assess
    expect(issues).toStrictEqual([{ path: '', reason: `body is not valid JSON at ${detail}` }]);
  });

  it('reads 10 000-deep nesting without a stack overflow', () => {
    // Prepare
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    // Act
    const value = readJsonText(deep);
    // Assess
    expect(Array.isArray(value)).toBe(true);
  });

  it('returns what JSON.parse returns for any JSON without duplicate keys', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), (text) => {
        // Act / Assess: fc.json builds objects from records, so no key repeats within one
        expect(readJsonText(text)).toStrictEqual(JSON.parse(text));
      }),
    );
  });

  it('accepts and refuses exactly what JSON.parse does for any mutated text, when no key repeats', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '"', '\\', '{', ']', ':', '\u0001', '-', '0', 'e', ' '))
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        // Act
        let ours: unknown;
        try {
          ours = { value: readJsonText(text) };
        } catch (error) {
          ours = (error as ManifestError).issues[0]?.reason.startsWith('duplicate') ? 'duplicate' : 'refused';
        }
        let native: unknown;
        try {
          native = { value: JSON.parse(text) };
        } catch {
          native = 'refused';
        }
        // Assess
        if (ours !== 'duplicate') expect(ours).toStrictEqual(native);
      }),
      { numRuns: 500 },
    );
  });
});

describe('positionAt', () => {
  it.each([
    ['abc', 0, { line: 1, column: 1 }],
    ['abc', 2, { line: 1, column: 3 }],
    ['a\nbc', 2, { line: 2, column: 1 }],
    ['a\r\nb\nc', 5, { line: 3, column: 1 }],
    ['a\n', 2, { line: 2, column: 1 }],
  ])('places offset %2$d of %1$j', (text, at, position) => {
    // Act / Assess
    expect(positionAt(text, at)).toStrictEqual(position);
  });
});
