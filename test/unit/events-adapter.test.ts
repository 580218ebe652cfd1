import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DLQ_ATTRIBUTES } from '../../lib/aws/send-to-dlq.ts';
import { IGNORED } from '../../lib/core/events/types.ts';
import type { ResourceType } from '../../lib/core/manifest/types.ts';
import type { WireManifest } from '../../lib/core/manifest/wire.ts';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import { regionRates } from '../../lib/engine/events/read-target-tags.ts';
import { type EventsDeps, makeEventsHandler, processEventsBatch } from '../../lib/lambda/events-handler.ts';
import { capturingLogger } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { FakeInventoryClient, type FakeInventoryResource } from '../support/fakes/inventory-client.ts';
import { FakeQueue } from '../support/fakes/queue.ts';
import { lambdaContext, sqsRecord } from '../support/lambda.ts';

const QUEUE = 'https://sqs.test/000000000000/work';
const DLQ = 'https://sqs.test/000000000000/work-dlq';
const EVENTS_DLQ = 'https://sqs.test/000000000000/events-dlq';

const POLICY = parsePolicy(
  [
    'version: 1',
    'name: no-tmp',
    'regions: [cn-hangzhou, cn-shenzhen]',
    'remove:',
    '  - key: tmp',
    'protect:',
    '  - key: "tag-cleanup:protect"',
    '    value: "true"',
    'exclude:',
    '  resourceIds: [i-bp1skip]',
  ].join('\n'),
  'no-tmp.yaml',
);

/** A resource of the fake inventory in cn-hangzhou. */
const hz = (resourceType: ResourceType, resourceId: string, tags: Record<string, string>): FakeInventoryResource => ({
  regionId: 'cn-hangzhou',
  resourceType,
  resourceId,
  tags,
});

/** An adapter in memory: the fake inventory, the queues, one fake clock and the captured log. */
function setUpAdapter(options: { selfPrincipalId?: string; rowsPerPage?: number } = {}) {
  const clock = fakeClock();
  const fakeInventory = new FakeInventoryClient(
    [
      hz('instance', 'i-bp1web', { tmp: 'now', owner: 'bob' }),
      hz('disk', 'd-bp1scratch', { tmp: 'now', keep: 'y' }),
      hz('securitygroup', 'sg-bp1open', { tmp: 'now' }),
      hz('image', 'm-bp1gold', { tmp: 'now' }),
      hz('instance', 'i-bp1clean', { owner: 'bob' }),
      hz('instance', 'i-bp1safe', { tmp: 'now', 'tag-cleanup:protect': 'true' }),
      hz('instance', 'i-bp1skip', { tmp: 'now' }),
      { regionId: 'cn-shenzhen', resourceType: 'instance', resourceId: 'i-wz9api', tags: { tmp: 'now' } },
    ],
    options.rowsPerPage === undefined ? {} : { rowsPerPage: options.rowsPerPage },
  );
  const queue = new FakeQueue();
  const { logger, records } = capturingLogger('info');
  const deps: EventsDeps = {
    config: {
      queueUrl: QUEUE,
      eventsDlqUrl: EVENTS_DLQ,
      maxMessageBytes: 262_144,
      maxResources: 10_000,
      concurrency: 4,
      maxAttempts: 3,
      requestTimeoutMs: 5_000,
      deadlineMarginMs: 1_000,
      maxQps: 1_000,
      ...(options.selfPrincipalId !== undefined && { selfPrincipalId: options.selfPrincipalId }),
    },
    policy: POLICY,
    client: fakeInventory,
    queue,
    logger,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  };
  const rateFor = regionRates({ maxQps: 1_000, now: clock.now, sleep: clock.sleep });
  const runBodies = async (bodies: string[]) => {
    const sqs = bodies.map(sqsRecord);
    const result = await processEventsBatch(
      { records: sqs, deadlineAt: clock.now() + 60_000, awsRequestId: 'req-1' },
      { ...deps, rateFor },
    );
    return { records: sqs, result };
  };
  const handler = makeEventsHandler(deps);
  return {
    clock,
    queue,
    inventory: fakeInventory,
    runBodies,
    run: (events: unknown[]) => runBodies(events.map((e) => JSON.stringify(e))),
    handler: (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => handler(event, context),
    sent: () => queue.bodies(QUEUE) as WireManifest[],
    lines: (event: string) => records().filter((r) => r.event === event),
  };
}

function envelope<D>(id: string, type: string, regionId: string, data: D, source = 'acs.ecs') {
  return { specversion: '1.0', id, source, type, aliyunregionid: regionId, data };
}

/** An ActionTrail API call record; `created` is the id RunInstances answers with. */
function apiCall(
  id: string,
  eventName: string,
  created: string,
  requestParameters: Record<string, string> = {},
  principalId = 'deployer-1',
) {
  return envelope(id, 'ecs:ActionTrail:ApiCall', 'cn-hangzhou', {
    eventName,
    requestParameters: { RegionId: 'cn-hangzhou', ...requestParameters },
    responseElements: { InstanceIdSets: { InstanceIdSet: [created] } },
    userIdentity: { principalId },
  });
}

/** A console AddTags on one disk. */
function addTags(id: string, diskId: string) {
  return envelope(id, 'ecs:ActionTrail:ConsoleOperation', 'cn-hangzhou', {
    eventName: 'AddTags',
    requestParameters: { ResourceType: 'disk', ResourceId: diskId, 'Tag.1.Key': 'tmp', 'Tag.1.Value': 'x' },
    userIdentity: { principalId: 'console-1' },
  });
}

function stateChange(id: string, instanceId: string, regionId = 'cn-hangzhou') {
  return envelope(id, 'ecs:Instance:StateChange', regionId, {
    resourceId: instanceId,
    resourceType: 'ALIYUN::ECS::Instance',
    state: 'Running',
  });
}

function qualifier(resourceId: string, resourceType: string) {
  return {
    evaluationResultIdentifier: { evaluationResultQualifier: { resourceId, resourceType, regionId: 'cn-hangzhou' } },
  };
}

function configNonCompliant(id: string, resourceId: string, resourceType = 'ACS::ECS::SecurityGroup') {
  return envelope(
    id,
    'config:Config:NonCompliantNotification',
    'cn-hangzhou',
    qualifier(resourceId, resourceType),
    'acs.config',
  );
}

function configChange(id: string, resourceId: string) {
  const type = 'config:Config:ConfigurationItemChangeNotification';
  return envelope(id, type, 'cn-hangzhou', qualifier(resourceId, 'ACS::ECS::Image'), 'acs.config');
}

describe('the event adapter', () => {
  it.each([
    ['ecs:ActionTrail:ApiCall (RunInstances)', apiCall('e1', 'RunInstances', 'i-bp1web'), 'instance', 'i-bp1web'],
    ['ecs:ActionTrail:ConsoleOperation (AddTags)', addTags('e1', 'd-bp1scratch'), 'disk', 'd-bp1scratch'],
    ['ecs:Instance:StateChange', stateChange('e1', 'i-bp1web'), 'instance', 'i-bp1web'],
    ['config:Config:NonCompliantNotification', configNonCompliant('e1', 'sg-bp1open'), 'securitygroup', 'sg-bp1open'],
    ['config:Config:ConfigurationItemChangeNotification', configChange('e1', 'm-bp1gold'), 'image', 'm-bp1gold'],
  ])('turns %s into one manifest entry with the tags listed now', async (_, event, resourceType, resourceId) => {
    // Prepare
    const world = setUpAdapter();
    // Act
    const { result } = await world.run([event]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    const [manifest] = world.sent();
    expect(world.sent()).toHaveLength(1);
    expect(manifest).toMatchObject({
      version: 1,
      regionId: 'cn-hangzhou',
      dryRun: false,
      origin: { kind: 'event', eventIds: ['e1'] },
      resources: [{ resourceType, resourceId, tags: [{ key: 'tmp', value: 'now' }] }],
    });
    expect(manifest?.manifestId).toMatch(/^event-cn-hangzhou-19700101T001640Z-[0-9a-f]{12}$/);
    expect(world.lines('event.manifest')).toHaveLength(1);
  });

  it('decides from the tags listed now, not from the tags the event carried', async () => {
    // Prepare: the event says tmp=from-event; the resource carries tmp=now (and ci-run)
    const world = setUpAdapter();
    // Act
    await world.run([apiCall('e1', 'RunInstances', 'i-bp1web', { 'Tag.1.Key': 'tmp', 'Tag.1.Value': 'from-event' })]);
    // Assess
    expect(world.sent()[0]?.resources).toStrictEqual([
      { resourceType: 'instance', resourceId: 'i-bp1web', tags: [{ key: 'tmp', value: 'now' }] },
    ]);
  });

  it("reads every page of a resource's tags before deciding", async () => {
    // Prepare: one row a page, so i-bp1web's owner and tmp rows arrive on two pages
    const world = setUpAdapter({ rowsPerPage: 1 });
    // Act
    const { result } = await world.run([stateChange('e1', 'i-bp1web')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.inventory.calls).toHaveLength(2);
    expect(world.sent()[0]?.resources[0]?.tags).toStrictEqual([{ key: 'tmp', value: 'now' }]);
  });

  it('acknowledges an event of an unsupported type with an event.ignored line and lists nothing', async () => {
    // Prepare
    const world = setUpAdapter();
    const event = { ...stateChange('e1', 'i-bp1web'), type: 'oss:ObjectCreated:PutObject' };
    // Act
    const { result } = await world.run([event]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.lines('event.ignored')).toMatchObject([
      { reason: IGNORED.unsupportedType, eventId: 'e1', source: 'acs.ecs', type: 'oss:ObjectCreated:PutObject' },
    ]);
    expect(world.inventory.calls).toHaveLength(0);
    expect(world.sent()).toHaveLength(0);
  });

  it("ignores the job's own calls, by principal and by API", async () => {
    // Prepare
    const world = setUpAdapter({ selfPrincipalId: 'self-1' });
    const own = apiCall(
      'e1',
      'AddTags',
      'd-bp1scratch',
      { ResourceType: 'disk', ResourceId: 'd-bp1scratch' },
      'self-1',
    );
    const removal = apiCall('e2', 'RemoveTags', 'd-bp1scratch', { ResourceType: 'disk', ResourceId: 'd-bp1scratch' });
    // Act
    const { result } = await world.run([own, removal]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.lines('event.ignored').map((l) => l.reason)).toStrictEqual([IGNORED.self, IGNORED.ownCall]);
    expect(world.sent()).toHaveLength(0);
  });

  it('ignores a duplicate source and id and sends the resource once', async () => {
    // Prepare
    const world = setUpAdapter();
    // Act
    const { result } = await world.run([stateChange('e1', 'i-bp1web'), stateChange('e1', 'i-bp1web')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.lines('event.ignored').map((l) => l.reason)).toStrictEqual([IGNORED.duplicate]);
    expect(world.sent().flatMap((m) => m.resources)).toHaveLength(1);
  });

  it('debounces three events about one resource into one entry naming all three events', async () => {
    // Prepare
    const world = setUpAdapter();
    const events = [
      stateChange('e1', 'i-bp1web'),
      apiCall('e2', 'ModifyInstanceAttribute', 'i-bp1web', { InstanceId: 'i-bp1web' }),
      configNonCompliant('e3', 'i-bp1web', 'ACS::ECS::Instance'),
    ];
    // Act
    const { result } = await world.run(events);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.sent()).toHaveLength(1);
    expect(world.sent()[0]?.resources).toHaveLength(1);
    expect(world.sent()[0]?.origin).toStrictEqual({ kind: 'event', eventIds: ['e1', 'e2', 'e3'] });
    expect(world.inventory.calls).toHaveLength(1);
  });

  it('sends one manifest per region, each naming only its own events', async () => {
    // Prepare
    const world = setUpAdapter();
    // Act
    await world.run([stateChange('e1', 'i-bp1web'), stateChange('e2', 'i-wz9api', 'cn-shenzhen')]);
    // Assess
    expect(world.sent().map((m) => [m.regionId, m.origin])).toStrictEqual([
      ['cn-hangzhou', { kind: 'event', eventIds: ['e1'] }],
      ['cn-shenzhen', { kind: 'event', eventIds: ['e2'] }],
    ]);
  });

  it.each([
    ['no longer exists', 'i-bp1gone', 'no-tags'],
    ['has nothing the policy removes', 'i-bp1clean', 'nothing-to-remove'],
    ['carries a protect tag', 'i-bp1safe', 'protected'],
    ['is excluded by id', 'i-bp1skip', 'excluded'],
  ])('sends nothing for a resource that %s, and acknowledges its event', async (_, resourceId, verdict) => {
    // Prepare
    const world = setUpAdapter();
    // Act
    const { result } = await world.run([stateChange('e1', resourceId)]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.sent()).toHaveLength(0);
    expect(world.lines('events.summary')[0]?.verdicts).toMatchObject({ [verdict]: 1, remove: 0 });
  });

  it('lists nothing for a resource in a region the policy does not cover', async () => {
    // Prepare
    const world = setUpAdapter();
    // Act
    const { result } = await world.run([stateChange('e1', 'i-2zeother', 'cn-beijing')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.inventory.calls).toHaveLength(0);
    expect(world.lines('events.summary')[0]).toMatchObject({ verdicts: { 'out-of-scope': 1 }, listCalls: 0 });
  });

  it('sends a poison record to the events DLQ with its reason and acknowledges it', async () => {
    // Prepare
    const world = setUpAdapter();
    // Act
    const { records, result } = await world.runBodies(['{not json', JSON.stringify({ specversion: '1.0' })]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    const dead = world.queue.messages(EVENTS_DLQ);
    expect(dead.map((m) => m.body)).toStrictEqual(records.map((r) => r.body));
    expect(dead[0]?.attributes).toMatchObject({
      [DLQ_ATTRIBUTES.code]: 'InvalidEvent',
      [DLQ_ATTRIBUTES.reason]: 'not JSON',
      [DLQ_ATTRIBUTES.source]: records[0]?.messageId,
    });
    expect(dead[1]?.attributes?.[DLQ_ATTRIBUTES.reason]).toMatch(/^not a CloudEvent: .*id/);
    expect(world.queue.messages(DLQ)).toHaveLength(0);
    expect(world.lines('events.summary')[0]).toMatchObject({ poison: 2, records: 2 });
  });

  it('leaves a poison record to SQS when the events DLQ refuses it', async () => {
    // Prepare
    const world = setUpAdapter();
    world.queue.fail({ queueUrl: EVENTS_DLQ });
    // Act
    const { records, result } = await world.runBodies(['{not json', JSON.stringify(stateChange('e1', 'i-bp1web'))]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(world.sent()).toHaveLength(1);
  });

  it('logs one events.summary line with the counts of the invocation', async () => {
    // Prepare
    const world = setUpAdapter();
    const unsupported = { ...stateChange('e9', 'i-bp1web'), type: 'oss:Object:Put' };
    // Act
    await world.run([stateChange('e1', 'i-bp1web'), stateChange('e2', 'i-bp1gone'), unsupported]);
    // Assess
    expect(world.lines('events.summary')).toHaveLength(1);
    expect(world.lines('events.summary')[0]).toMatchObject({
      records: 3,
      resources: 2,
      ignored: { [IGNORED.unsupportedType]: 1 },
      poison: 0,
      manifests: 1,
      listCalls: 1,
      batchItemFailures: 0,
      durationMs: expect.any(Number),
    });
  });

  it('answers SQS through the Lambda handler with a partial batch response', async () => {
    // Prepare
    const world = setUpAdapter();
    world.inventory.fail({ api: 'ListTagResources', regionId: 'cn-hangzhou', error: 'InvalidParameter' });
    const records = [stateChange('e1', 'i-bp1web'), stateChange('e2', 'i-wz9api', 'cn-shenzhen')].map((e) =>
      sqsRecord(JSON.stringify(e)),
    );
    // Act
    const response = await world.handler({ Records: records }, lambdaContext(60_000));
    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.messageId }] });
    expect(world.sent().map((m) => m.regionId)).toStrictEqual(['cn-shenzhen']);
  });
});

describe('the event adapter when a call fails', () => {
  it('retries a throttled listing and then sends the manifest', async () => {
    // Prepare
    const world = setUpAdapter();
    world.inventory.fail({ api: 'ListTagResources', regionId: 'cn-hangzhou', error: 'Throttling.User', times: 2 });
    // Act
    const { result } = await world.run([stateChange('e1', 'i-bp1web')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([]);
    expect(world.inventory.calls).toHaveLength(3);
    expect(world.sent()).toHaveLength(1);
    expect(world.lines('events.summary')[0]).toMatchObject({ throttled: 2, listCalls: 1, manifests: 1 });
    expect(world.clock.sleeps.some((ms) => ms > 0)).toBe(true);
  });

  it('redelivers exactly the records that named a resource whose listing failed', async () => {
    // Prepare: disks in cn-hangzhou cannot be listed; instances can
    const world = setUpAdapter();
    world.inventory.fail({ api: 'ListTagResources', resourceType: 'disk', error: 'ServiceUnavailable' });
    const events = [
      addTags('e1', 'd-bp1scratch'),
      stateChange('e2', 'i-bp1web'),
      stateChange('e3', 'i-wz9api', 'cn-shenzhen'),
      { ...stateChange('e4', 'i-bp1web'), type: 'oss:Object:Put' },
    ];
    // Act
    const { records, result } = await world.run(events);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(world.sent().flatMap((m) => m.resources.map((r) => r.resourceId))).toStrictEqual(['i-bp1web', 'i-wz9api']);
    expect(world.lines('event.listing.failed')).toMatchObject([
      { regionId: 'cn-hangzhou', resourceType: 'disk', resources: 1, error: { code: 'ServiceUnavailable' } },
    ]);
    expect(
      world.inventory.calls.filter((c) => 'resourceType' in c.request && c.request.resourceType === 'disk'),
    ).toHaveLength(3);
  });

  it('redelivers a record naming two resources when only one of their listings failed', async () => {
    // Prepare: RunInstances names an instance (listable) and, by reference, a disk (not)
    const world = setUpAdapter();
    world.inventory.fail({ api: 'ListTagResources', resourceType: 'disk', error: 'InvalidParameter', times: 1 });
    const run = apiCall('e1', 'RunInstances', 'i-bp1web');
    const event = { ...run, data: { ...run.data, referencedResources: { 'ACS::ECS::Disk': ['d-bp1scratch'] } } };
    // Act
    const { records, result } = await world.run([event, stateChange('e2', 'i-bp1clean')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
  });

  it('redelivers the records whose manifest the work queue refused, and acknowledges the rest', async () => {
    // Prepare
    const world = setUpAdapter();
    world.queue.fail({ queueUrl: QUEUE, code: 'ServiceUnavailable' });
    const events = [
      stateChange('e1', 'i-bp1web'),
      stateChange('e2', 'i-wz9api', 'cn-shenzhen'),
      stateChange('e3', 'i-bp1clean'),
      { ...stateChange('e4', 'i-bp1web'), type: 'oss:Object:Put' },
    ];
    // Act
    const { records, result } = await world.run(events);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([
      { itemIdentifier: records[0]?.messageId },
      { itemIdentifier: records[1]?.messageId },
    ]);
    expect(world.lines('event.manifest')).toHaveLength(0);
    expect(world.lines('event.manifest.failed')).toHaveLength(2);
    expect(world.lines('events.summary')[0]).toMatchObject({ manifests: 0, batchItemFailures: 2 });
  });

  it('redelivers every record with work when the queue sender throws', async () => {
    // Prepare
    const world = setUpAdapter();
    world.queue.fail({ queueUrl: QUEUE, throws: true });
    // Act
    const { records, result } = await world.run([stateChange('e1', 'i-bp1web'), stateChange('e2', 'i-bp1gone')]);
    // Assess
    expect(result.batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
  });
});
