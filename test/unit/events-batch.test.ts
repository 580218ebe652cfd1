import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveBatch } from '../../lib/core/events/resolve-batch.ts';
import { SUPPORTED_EVENT_TYPES } from '../../lib/core/events/resolve-event.ts';
import { IGNORED } from '../../lib/core/events/types.ts';

/** An instance state change for `resourceId` with CloudEvent id `id`. */
function stateChange(id: string, resourceId: string, source = 'acs.ecs'): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source,
    type: 'ecs:Instance:StateChange',
    aliyunregionid: 'cn-hangzhou',
    data: { resourceId, resourceType: 'ALIYUN::ECS::Instance' },
  };
}

/** An AddTags record by `principalId` on one disk. */
function addTags(id: string, diskId: string, principalId: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source: 'acs.ecs',
    type: 'ecs:ActionTrail:ApiCall',
    aliyunregionid: 'cn-hangzhou',
    data: {
      eventName: 'AddTags',
      requestParameters: { ResourceType: 'disk', ResourceId: diskId },
      userIdentity: { principalId },
    },
  };
}

describe('resolveBatch', () => {
  it('ignores a repeat of a source and id already seen in the batch', () => {
    // Prepare
    const inputs = [stateChange('e1', 'i-bp1a'), stateChange('e1', 'i-bp1a')];
    // Act
    const batch = resolveBatch(inputs);
    // Assess
    expect(batch.outcomes.map((o) => o.kind === 'ignored' && o.reason)).toStrictEqual([false, IGNORED.duplicate]);
    expect(batch.targets).toHaveLength(1);
    expect(batch.targets[0]?.inputIndexes).toStrictEqual([0]);
  });

  it('keeps the same id from two different sources', () => {
    // Prepare
    const inputs = [stateChange('e1', 'i-bp1a', 'acs.ecs'), stateChange('e1', 'i-bp1b', 'acs.other')];
    // Act
    const batch = resolveBatch(inputs);
    // Assess
    expect(batch.outcomes.map((o) => o.kind)).toStrictEqual(['resources', 'resources']);
    expect(batch.targets.map((t) => t.ref.resourceId)).toStrictEqual(['i-bp1a', 'i-bp1b']);
  });

  it('debounces a burst of events about one resource into one target listing every event', () => {
    // Prepare
    const inputs = [
      stateChange('e1', 'i-bp1a'),
      stateChange('e2', 'i-bp1b'),
      stateChange('e3', 'i-bp1a'),
      addTags('e4', 'd-bp1a', 'someone'),
      stateChange('e5', 'i-bp1a'),
    ];
    // Act
    const batch = resolveBatch(inputs);
    // Assess
    expect(batch.targets).toStrictEqual([
      {
        ref: { regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-bp1a' },
        eventIds: ['e1', 'e3', 'e5'],
        inputIndexes: [0, 2, 4],
      },
      {
        ref: { regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-bp1b' },
        eventIds: ['e2'],
        inputIndexes: [1],
      },
      {
        ref: { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-bp1a' },
        eventIds: ['e4'],
        inputIndexes: [3],
      },
    ]);
  });

  it('ignores events by the job’s own principal and keeps everyone else’s', () => {
    // Prepare
    const inputs = [addTags('e1', 'd-bp1a', 'job'), addTags('e2', 'd-bp1b', 'person')];
    // Act
    const batch = resolveBatch(inputs, { selfPrincipalId: 'job' });
    // Assess
    expect(batch.outcomes.map((o) => o.kind === 'ignored' && o.reason)).toStrictEqual([IGNORED.self, false]);
    expect(batch.targets.map((t) => t.ref.resourceId)).toStrictEqual(['d-bp1b']);
  });

  it('reports poison at its position without stopping the rest', () => {
    // Prepare
    const inputs = ['not json', 42, stateChange('e1', 'i-bp1a')];
    // Act
    const batch = resolveBatch(inputs);
    // Assess
    expect(batch.outcomes.map((o) => o.kind)).toStrictEqual(['poison', 'poison', 'resources']);
    expect(batch.targets[0]?.inputIndexes).toStrictEqual([2]);
  });
});

describe('examples/events', () => {
  const dir = new URL('../../examples/events/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const inventory = JSON.parse(readFileSync(new URL('../../examples/inventory.json', import.meta.url), 'utf8')) as {
    resources: { regionId: string; resourceType: string; resourceId: string }[];
  };
  const known = new Set(inventory.resources.map((r) => `${r.regionId}/${r.resourceType}/${r.resourceId}`));

  it('holds one sample for each supported event type', () => {
    // Act
    const types = files.map((f) => (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { type: string }).type);
    // Assess
    expect(new Set(types)).toStrictEqual(new Set(SUPPORTED_EVENT_TYPES));
  });

  it.each(files)('%s resolves to resources of examples/inventory.json', (file) => {
    // Prepare
    const text = readFileSync(new URL(file, dir), 'utf8');
    // Act
    const { targets } = resolveBatch([text]);
    // Assess
    expect(targets.length).toBeGreaterThan(0);
    for (const { ref } of targets) expect(known).toContain(`${ref.regionId}/${ref.resourceType}/${ref.resourceId}`);
  });
});
