import { describe, expect, it } from 'vitest';
import { renderLine } from '../../lib/cli/pretty.ts';
import { dryRunTable } from '../../lib/cli/sweep/dry-run-table.ts';
import { terminalSafe } from '../../lib/cli/terminal-safe.ts';
import type { WireManifest } from '../../lib/core/manifest/wire.ts';

const outcome = (more: Record<string, unknown>) =>
  JSON.stringify({
    level: 'info',
    event: 'resource.outcome',
    manifestId: 'm-1',
    regionId: 'cn-hangzhou',
    resourceType: 'disk',
    resourceId: 'd-1',
    outcome: 'removed',
    removed: [],
    calls: 1,
    attempts: 1,
    requestIds: [],
    durationMs: 3,
    ...more,
  });

describe('terminalSafe', () => {
  it.each([
    ['\u001b]0;owned\u0007', '\\x1b]0;owned\\x07'],
    ['a\nfake line', 'a\\nfake line'],
    ['evil\u202Etxt.exe', 'evil\\u202etxt.exe'],
    ['\u0085next', '\\x85next'],
    ['\u2066iso\u2069', '\\u2066iso\\u2069'],
    ['plain ünïcödé 标签 🏷', 'plain ünïcödé 标签 🏷'],
  ])('shows %j as %j', (input, expected) => {
    // Act
    const shown = terminalSafe(input);
    // Assess
    expect(shown).toBe(expected);
  });
});

describe('renderLine', () => {
  it('never lets a tag, id or error message drive the terminal', () => {
    // Prepare
    const line = outcome({
      resourceId: 'd-\u001b[31mred',
      removed: [{ key: 'k\nforged', value: '\u202Ev' }],
      outcome: 'failed',
      error: { code: 'X', message: 'bad\u001b]2;title\u0007' },
    });
    // Act
    const text = renderLine(line) ?? '';
    // Assess
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that none reach the terminal.
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('d-\\x1b[31mred');
    expect(text).toContain('k\\nforged=\\u202ev');
  });

  it('lists the tags of every planned call in a dry run', () => {
    // Act
    const text = renderLine(
      outcome({
        outcome: 'planned',
        plannedCalls: [[{ key: 'a', value: '1' }, { key: 'b' }], [{ key: 'c' }]],
        calls: 0,
      }),
    );
    // Assess
    expect(text).toContain('would call RemoveTags 2×: [a=1, b] [c]');
  });

  it('says what a dry run would remove in its summary, and what was accepted in a real one', () => {
    // Prepare
    const summary = (dryRun: boolean) =>
      JSON.stringify({
        event: 'manifest.summary',
        manifestId: 'm-1',
        dryRun,
        resources: 2,
        byOutcome: { planned: dryRun ? 2 : 0, removed: dryRun ? 0 : 2 },
        tagsRemoved: dryRun ? 0 : 7,
        ...(dryRun && { tagsPlanned: 7, callsPlanned: 3 }),
        calls: dryRun ? 0 : 3,
        retries: 0,
        throttled: 0,
        durationMs: 5,
      });
    // Act
    const dry = renderLine(summary(true));
    const real = renderLine(summary(false));
    // Assess
    expect(dry).toContain('dry run: would remove 7 tag(s) in 3 call(s)');
    expect(real).toContain('7 tag(s) requested and accepted in 3 call(s)');
  });
});

describe('renderLine for other events', () => {
  it('names the region a region.unknown warning is about', () => {
    // Act
    const text = renderLine(
      JSON.stringify({ level: 'warn', event: 'region.unknown', regionId: 'cn-nowhere', manifestId: 'm-1' }),
    );
    // Assess
    expect(text).toContain('region cn-nowhere is not a known Alibaba Cloud region');
  });
});

describe('dryRunTable', () => {
  it('counts the tags a sweep would remove by key, then by resource type', () => {
    // Prepare
    const manifests: WireManifest[] = [
      {
        version: 1,
        manifestId: 's-1',
        regionId: 'cn-hangzhou',
        dryRun: false,
        resources: [
          {
            resourceType: 'disk',
            resourceId: 'd-1',
            tags: [
              { key: 'tmp', value: 'x' },
              { key: 'ci-1', value: 'y' },
            ],
          },
          { resourceType: 'instance', resourceId: 'i-1', tags: [{ key: 'tmp', value: 'z' }] },
        ],
      },
    ];
    // Act
    const table = dryRunTable(manifests);
    // Assess
    const rows = table.split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows).toContainEqual(['tmp', '2']);
    expect(rows).toContainEqual(['ci-1', '1']);
    expect(rows).toContainEqual(['disk', '2']);
    expect(rows).toContainEqual(['instance', '1']);
    expect(table.indexOf('tag key')).toBeLessThan(table.indexOf('resource type'));
  });
});
