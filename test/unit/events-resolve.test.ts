import { describe, expect, it } from 'vitest';
import { excludeSelf, resolveEvent } from '../../lib/core/events/resolve-event.ts';
import { IGNORED } from '../../lib/core/events/types.ts';

/** A CloudEvent envelope around `data`, in cn-hangzhou unless overridden. */
function cloudEvent(type: string, data: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'evt-1',
    source: 'acs.ecs',
    type,
    aliyunregionid: 'cn-hangzhou',
    data,
    ...overrides,
  };
}

/** An `ecs:ActionTrail:ApiCall` record of `eventName` with the given data fields. */
function apiCall(eventName: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return cloudEvent('ecs:ActionTrail:ApiCall', {
    eventName,
    userIdentity: { type: 'ram-user', principalId: '2064001' },
    ...fields,
  });
}

describe('resolveEvent: ActionTrail', () => {
  it('takes RunInstances instances from the response and their disks from the referenced resources', () => {
    // Prepare
    const event = apiCall('RunInstances', {
      requestParameters: { RegionId: 'cn-hangzhou', 'Tag.1.Key': 'tmp' },
      responseElements: { InstanceIdSets: { InstanceIdSet: ['i-bp1a', 'i-bp1b'] } },
      referencedResources: { 'ACS::ECS::Instance': ['i-bp1a', 'i-bp1b'], 'ACS::ECS::Disk': ['d-bp1a'] },
    });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toStrictEqual({
      kind: 'resources',
      refs: [
        { regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-bp1a' },
        { regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-bp1b' },
        { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-bp1a' },
      ],
      eventId: 'evt-1',
      source: 'acs.ecs',
      principalId: '2064001',
    });
  });

  it.each([
    ['CreateInstance', { InstanceId: 'i-bp1new' }, 'instance', 'i-bp1new'],
    ['CreateDisk', { DiskId: 'd-bp1new' }, 'disk', 'd-bp1new'],
    ['CreateSnapshot', { SnapshotId: 's-bp1new' }, 'snapshot', 's-bp1new'],
    ['CreateImage', { ImageId: 'm-bp1new' }, 'image', 'm-bp1new'],
    ['CreateSecurityGroup', { SecurityGroupId: 'sg-bp1new' }, 'securitygroup', 'sg-bp1new'],
  ])('takes the resource %s created from its response', (eventName, responseElements, resourceType, resourceId) => {
    // Act
    const resolution = resolveEvent(apiCall(eventName, { responseElements }));
    // Assess
    expect(resolution).toMatchObject({
      kind: 'resources',
      refs: [{ regionId: 'cn-hangzhou', resourceType, resourceId }],
    });
  });

  it.each([
    ['ModifyInstanceAttribute', { InstanceId: 'i-bp1x' }, 'instance', 'i-bp1x'],
    ['ModifyDiskAttribute', { DiskId: 'd-bp1x' }, 'disk', 'd-bp1x'],
    ['ModifySnapshotAttribute', { SnapshotId: 's-bp1x' }, 'snapshot', 's-bp1x'],
    ['ModifyImageAttribute', { ImageId: 'm-bp1x' }, 'image', 'm-bp1x'],
    ['ModifySecurityGroupAttribute', { SecurityGroupId: 'sg-bp1x' }, 'securitygroup', 'sg-bp1x'],
  ])('takes the resource %s modified from its request', (eventName, requestParameters, resourceType, resourceId) => {
    // Act
    const resolution = resolveEvent(apiCall(eventName, { requestParameters }));
    // Assess
    expect(resolution).toMatchObject({ kind: 'resources', refs: [{ resourceType, resourceId }] });
  });

  it('takes AddTags resources from ResourceType and ResourceId', () => {
    // Prepare
    const event = apiCall('AddTags', { requestParameters: { ResourceType: 'disk', ResourceId: 'd-bp1t' } });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ refs: [{ resourceType: 'disk', resourceId: 'd-bp1t' }] });
  });

  it('takes every TagResources ResourceId.N in order', () => {
    // Prepare
    const requestParameters = { ResourceType: 'instance', 'ResourceId.2': 'i-bp1two', 'ResourceId.1': 'i-bp1one' };
    // Act
    const resolution = resolveEvent(apiCall('TagResources', { requestParameters }));
    // Assess
    expect(resolution).toMatchObject({ refs: [{ resourceId: 'i-bp1one' }, { resourceId: 'i-bp1two' }] });
  });

  it('places a copied image in its destination region and leaves the source image alone', () => {
    // Prepare
    const event = apiCall('CopyImage', {
      requestParameters: { RegionId: 'cn-hangzhou', ImageId: 'm-bp1src', DestinationRegionId: 'cn-shanghai' },
      responseElements: { ImageId: 'm-uf6copy' },
      referencedResources: { 'ACS::ECS::Image': ['m-bp1src', 'm-uf6copy'] },
    });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({
      refs: [{ regionId: 'cn-shanghai', resourceType: 'image', resourceId: 'm-uf6copy' }],
    });
    expect(resolution.kind === 'resources' && resolution.refs).toHaveLength(1);
  });

  it('resolves a console operation like an API call', () => {
    // Prepare
    const event = cloudEvent('ecs:ActionTrail:ConsoleOperation', {
      eventName: 'AddTags',
      requestParameters: { ResourceType: 'snapshot', ResourceId: 's-bp1c' },
    });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'resources', refs: [{ resourceType: 'snapshot', resourceId: 's-bp1c' }] });
  });

  it.each(['RemoveTags', 'UntagResources'])('ignores %s as the job’s own kind of call', (eventName) => {
    // Prepare
    const event = apiCall(eventName, { requestParameters: { ResourceType: 'instance', ResourceId: 'i-bp1a' } });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toStrictEqual({ kind: 'ignored', reason: IGNORED.ownCall, eventId: 'evt-1', source: 'acs.ecs' });
  });

  it('ignores a call that changes no tags or resources of the five types', () => {
    // Act
    const resolution = resolveEvent(apiCall('StartInstance', { requestParameters: { InstanceId: 'i-bp1a' } }));
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.unsupportedCall });
  });

  it('ignores a call that failed', () => {
    // Prepare
    const event = apiCall('CreateDisk', { errorCode: 'QuotaExceed', responseElements: { DiskId: 'd-bp1a' } });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.failedCall });
  });

  it('ignores AddTags on a resource type RemoveTags does not take', () => {
    // Prepare
    const event = apiCall('AddTags', { requestParameters: { ResourceType: 'eni', ResourceId: 'eni-bp1a' } });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.unsupportedResourceType });
  });

  it('ignores a record with no eventName as malformed', () => {
    // Act
    const resolution = resolveEvent(cloudEvent('ecs:ActionTrail:ApiCall', { serviceName: 'Ecs' }));
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.malformedData });
  });

  it('ignores a create call whose response names nothing', () => {
    // Act
    const resolution = resolveEvent(apiCall('CreateDisk', { responseElements: {} }));
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.noResources });
  });
});

describe('resolveEvent: regions', () => {
  it.each([
    ['data.acsRegion', { acsRegion: 'cn-beijing' }],
    ['data.regionId', { regionId: 'cn-beijing' }],
    ['requestParameters.RegionId', { requestParameters: { RegionId: 'cn-beijing', DiskId: 'd-1' } }],
  ])('falls back to %s without aliyunregionid', (_where, fields) => {
    // Prepare
    const event = { ...apiCall('ModifyDiskAttribute', { requestParameters: { DiskId: 'd-1' }, ...fields }) };
    delete event.aliyunregionid;
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ refs: [{ regionId: 'cn-beijing', resourceId: 'd-1' }] });
  });

  it('ignores an event whose region cannot be found', () => {
    // Prepare
    const event = apiCall('CreateDisk', { responseElements: { DiskId: 'd-bp1a' } });
    delete event.aliyunregionid;
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.missingRegion });
  });

  it('does not take a region that could not be a host name label', () => {
    // Prepare
    const event = apiCall('CreateDisk', { responseElements: { DiskId: 'd-bp1a' } });
    event.aliyunregionid = 'evil.example/x';
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.missingRegion });
  });
});

describe('resolveEvent: state changes and Cloud Config', () => {
  it('takes the instance of a state change', () => {
    // Prepare
    const event = cloudEvent('ecs:Instance:StateChange', {
      resourceId: 'i-bp1sc',
      resourceType: 'ALIYUN::ECS::Instance',
      state: 'Running',
    });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toStrictEqual({
      kind: 'resources',
      refs: [{ regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-bp1sc' }],
      eventId: 'evt-1',
      source: 'acs.ecs',
    });
  });

  it.each(['config:Config:NonCompliantNotification', 'config:Config:ConfigurationItemChangeNotification'])(
    'takes the resource of %s from its qualifier, in the qualifier’s region',
    (type) => {
      // Prepare
      const qualifier = { resourceId: 'sg-2ze1', resourceType: 'ACS::ECS::SecurityGroup', regionId: 'cn-beijing' };
      const event = cloudEvent(type, { evaluationResultIdentifier: { evaluationResultQualifier: qualifier } });
      // Act
      const resolution = resolveEvent(event);
      // Assess
      expect(resolution).toMatchObject({
        kind: 'resources',
        refs: [{ regionId: 'cn-beijing', resourceType: 'securitygroup', resourceId: 'sg-2ze1' }],
      });
    },
  );

  it('ignores a Config notification about another service’s resource', () => {
    // Prepare
    const qualifier = { resourceId: 'rm-1', resourceType: 'ACS::RDS::DBInstance', regionId: 'cn-beijing' };
    const event = cloudEvent('config:Config:NonCompliantNotification', {
      evaluationResultIdentifier: { evaluationResultQualifier: qualifier },
    });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toMatchObject({ kind: 'ignored', reason: IGNORED.unsupportedResourceType });
  });

  it('ignores event types it does not handle', () => {
    // Act
    const resolution = resolveEvent(cloudEvent('ecs:Disk:StateChange', { resourceId: 'd-1' }));
    // Assess
    expect(resolution).toStrictEqual({
      kind: 'ignored',
      reason: IGNORED.unsupportedType,
      eventId: 'evt-1',
      source: 'acs.ecs',
    });
  });
});

describe('resolveEvent: poison', () => {
  it.each([
    ['a string that is not JSON', '{"specversion":', 'not JSON'],
    ['an array', [], 'not a CloudEvent: must be a CloudEvent object'],
    ['null', null, 'not a CloudEvent: must be a CloudEvent object'],
    ['an event without an id', { specversion: '1.0', source: 's', type: 't' }, 'not a CloudEvent: id: required'],
    ['an event with an empty type', { specversion: '1.0', id: 'x', source: 's', type: '' }, 'type: must not be empty'],
  ])('calls %s poison and says why', (_what, input, reason) => {
    // Act
    const resolution = resolveEvent(input);
    // Assess
    expect(resolution.kind).toBe('poison');
    expect(resolution.kind === 'poison' && resolution.reason).toContain(reason);
  });

  it('reads a queued event from its JSON text', () => {
    // Prepare
    const text = JSON.stringify(cloudEvent('ecs:Instance:StateChange', { resourceId: 'i-bp1txt' }));
    // Act
    const resolution = resolveEvent(text);
    // Assess
    expect(resolution).toMatchObject({ kind: 'resources', refs: [{ resourceId: 'i-bp1txt' }] });
  });

  it('never quotes the input in a poison reason', () => {
    // Act
    const resolution = resolveEvent('{"secret-looking": "hunter2"');
    // Assess
    expect(JSON.stringify(resolution)).not.toContain('hunter2');
  });
});

describe('excludeSelf', () => {
  const byDeployer = () => resolveEvent(apiCall('CreateDisk', { responseElements: { DiskId: 'd-bp1a' } }));

  it('ignores an event made by the job’s own principal', () => {
    // Act
    const resolution = excludeSelf(byDeployer(), '2064001');
    // Assess
    expect(resolution).toStrictEqual({ kind: 'ignored', reason: IGNORED.self, eventId: 'evt-1', source: 'acs.ecs' });
  });

  it.each([
    ['another principal', '999'],
    ['no configured principal', undefined],
    ['an empty configured principal', ''],
  ])('keeps the event for %s', (_what, self) => {
    // Act
    const resolution = excludeSelf(byDeployer(), self);
    // Assess
    expect(resolution.kind).toBe('resources');
  });
});
