import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { InventoryResource } from '../../dev/emulator/inventory.ts';
import { DLQ_ATTRIBUTES } from '../../lib/aws/send-to-dlq.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { type BatchDeps, makeBatchHandler, processBatch } from '../../lib/lambda/batch.ts';
import { capturingLogger, inventory, resource, tagRecord } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { ECS_CODES, FakeEcsClient } from '../support/fakes/ecs-client.ts';
import { FakeQueue } from '../support/fakes/queue.ts';
import { lambdaContext, sqsRecord } from '../support/lambda.ts';

const QUEUE = 'https://sqs.test/000000000000/work';
const DLQ = 'https://sqs.test/000000000000/work-dlq';

/** One invocation's world in memory: ECS, the queues, the clock and the log. */
function setUp(resources: InventoryResource[], env: Record<string, string> = {}) {
  const clock = fakeClock();
  const ecs = new FakeEcsClient(inventory(...resources));
  const queue = new FakeQueue();
  const { logger, records } = capturingLogger('debug');
  const deps: BatchDeps = {
    config: requireQueues(
      loadConfig({
        TAG_CLEANUP_QUEUE_URL: QUEUE,
        TAG_CLEANUP_DLQ_URL: DLQ,
        TAG_CLEANUP_MAX_ATTEMPTS: '2',
        TAG_CLEANUP_MAX_CONTINUATIONS: '3',
        TAG_CLEANUP_DEADLINE_MARGIN_MS: '1000',
        ...env,
      }),
    ),
    queue,
    client: ecs,
    rate: new AdaptiveRateController({ maxQps: 1e12, now: clock.now, sleep: clock.sleep }),
    logger,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  };
  /** Runs one batch with `remainingMs` of invocation time left after the safety margin. */
  const run = (bodies: string[], remainingMs = 60_000) => {
    const records = bodies.map(sqsRecord);
    const result = processBatch(
      { records, deadlineAt: clock.now() + remainingMs, awsRequestId: 'req-1', functionName: 'fn' },
      deps,
    );
    return { records, result };
  };
  const lines = (event: string) => records().filter((r) => r.event === event);
  return { clock, ecs, queue, deps, run, lines, records };
}

function body(resources: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 1, manifestId: 'm-1', regionId: 'cn-hangzhou', resources, ...extra });
}

const disk = (resourceId: string, keys: string[]) => ({
  resourceType: 'disk',
  resourceId,
  tags: keys.map((key) => ({ key })),
});

describe('processBatch', () => {
  it('removes the tags of every manifest in the batch and reports no failures', async () => {
    // Prepare
    const { ecs, queue, run, lines } = setUp([resource('d-1', { a: '1', keep: 'x' }), resource('d-2', { b: '2' })]);
    // Act
    const { records, result } = run([body([disk('d-1', ['a'])]), body([disk('d-2', ['b'])])]);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    expect([ecs.tagsOf('d-1'), ecs.tagsOf('d-2')]).toStrictEqual([{ keep: 'x' }, {}]);
    expect(lines('resource.outcome').map((l) => [l.messageId, l.outcome])).toStrictEqual(
      records.map((r) => [r.messageId, 'removed']),
    );
    expect(queue.sends).toHaveLength(0);
  });

  it('dead-letters poison with its body unchanged and the reason, acknowledges it, and runs the rest', async () => {
    // Prepare
    const { ecs, queue, run, lines } = setUp([resource('d-1', { a: '1' })]);
    const poison = '{"version":1,"manifestId":"p","regionId":"cn-hangzhou","resources":"nope"}';
    // Act
    const { records, result } = run([poison, 'not json', body([disk('d-1', ['a'])])]);
    const { batchItemFailures, metrics } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    const dead = queue.messages(DLQ);
    expect(dead.map((m) => m.body)).toStrictEqual([poison, 'not json']);
    expect(dead.map((m) => m.attributes?.[DLQ_ATTRIBUTES.code])).toStrictEqual(['InvalidManifest', 'InvalidManifest']);
    expect(dead[0]?.attributes?.[DLQ_ATTRIBUTES.reason]).toMatch(/^resources: /);
    expect(dead.map((m) => m.attributes?.[DLQ_ATTRIBUTES.source])).toStrictEqual(
      records.slice(0, 2).map((r) => r.messageId),
    );
    expect(lines('message.poison')).toHaveLength(2);
    expect(metrics.poisonMessages).toBe(2);
    expect(ecs.tagsOf('d-1')).toStrictEqual({});
  });

  it('returns poison to SQS as a batch item failure when the dead-letter queue refuses it', async () => {
    // Prepare
    const { queue, run, lines } = setUp([]);
    queue.fail({ queueUrl: DLQ, code: 'InvalidMessageContents' });
    // Act
    const { records, result } = run(['not json']);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(lines('message.poison')).toMatchObject([{ error: { code: 'DlqSendFailed' } }]);
  });

  it('hands work not started before the deadline to a continuation with exactly the remaining tags', async () => {
    // Prepare
    const { ecs, queue, run, lines } = setUp([resource('d-1', tagRecord(6))]);
    const keys = Object.keys(tagRecord(6));
    // Act
    const { records, result } = run([body([disk('d-1', keys)])], -1);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    expect(ecs.calls).toHaveLength(0);
    const [continuation] = queue.messages(QUEUE);
    expect(queue.bodies(QUEUE)).toStrictEqual([
      expect.objectContaining({
        manifestId: 'm-1',
        resources: [disk('d-1', keys)],
        continuation: { attempt: 1, sourceMessageId: records[0]?.messageId, lastError: expect.anything() },
      }),
    ]);
    expect(continuation?.delaySeconds).toBe(0);
    expect(lines('resource.outcome')).toMatchObject([
      { outcome: 'deferred', continuationMessageId: continuation?.messageId },
    ]);
    expect(lines('manifest.continued')).toMatchObject([{ continuationMessageIds: [continuation?.messageId] }]);
  });

  it('continues calls that kept failing transiently after a backoff delay, with the last error', async () => {
    // Prepare
    const { ecs, queue, run, lines } = setUp([resource('d-1', tagRecord(6))]);
    ecs.fail({ error: ECS_CODES.transient });
    // Act
    const { batchItemFailures } = await run([body([disk('d-1', Object.keys(tagRecord(6)))])]).result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    const [continuation] = queue.messages(QUEUE);
    expect(continuation?.delaySeconds).toBe(3);
    expect(queue.bodies(QUEUE)).toMatchObject([
      { continuation: { attempt: 1, lastError: { code: ECS_CODES.transient } }, resources: [{ tags: { length: 6 } }] },
    ]);
    expect(lines('resource.outcome')).toMatchObject([{ outcome: 'deferred', attempts: 2 }]);
  });

  it('dead-letters the remaining work once the continuation limit is used up, and logs it failed', async () => {
    // Prepare
    const { ecs, queue, run, lines } = setUp([resource('d-1', { a: '1' })]);
    ecs.fail({ error: ECS_CODES.transient });
    // Act
    const { result } = run([body([disk('d-1', ['a'])], { continuation: { attempt: 3, sourceMessageId: 'older' } })]);
    const { batchItemFailures, metrics } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    expect(queue.messages(QUEUE)).toHaveLength(0);
    const [dead] = queue.messages(DLQ);
    expect(dead?.attributes?.[DLQ_ATTRIBUTES.code]).toBe('ContinuationsExhausted');
    expect(lines('resource.outcome')).toMatchObject([{ outcome: 'failed', deadLetterMessageId: dead?.messageId }]);
    expect(metrics.failedResources).toBe(1);
  });

  it('returns every record with unfinished work as a batch item failure on a fatal error', async () => {
    // Prepare
    const resources = Array.from({ length: 50 }, (_, i) => disk(`d-x${i}`, ['a']));
    const { ecs, queue, run, lines } = setUp([]);
    ecs.fail({ error: ECS_CODES.fatal });
    // Act
    const { records, result } = run([body(resources), body(resources, { manifestId: 'm-2' })]);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual(records.map((r) => ({ itemIdentifier: r.messageId })));
    expect(ecs.calls).toHaveLength(1);
    expect(lines('invocation.fatal')).toMatchObject([{ error: { code: ECS_CODES.fatal } }]);
    expect(lines('resource.outcome')).toHaveLength(100);
    expect(new Set(lines('resource.outcome').map((l) => l.outcome))).toStrictEqual(new Set(['deferred']));
    expect(queue.sends).toHaveLength(0);
  });

  it('acknowledges the records a fatal error did not touch', async () => {
    // Prepare: the fatal error hits the second manifest's only call, after the first finished
    const { ecs, run } = setUp([resource('d-1', { a: '1' }), resource('d-2', { a: '1' })]);
    ecs.fail({ resourceId: 'd-2', error: ECS_CODES.fatal });
    // Act
    const { records, result } = run([body([disk('d-1', ['a'])]), body([disk('d-2', ['a'])], { manifestId: 'm-2' })]);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([{ itemIdentifier: records[1]?.messageId }]);
  });

  it('reports the record as a failure when the continuation cannot be sent', async () => {
    // Prepare
    const { queue, run, lines } = setUp([resource('d-1', { a: '1' })]);
    queue.fail({ queueUrl: QUEUE });
    // Act
    const { records, result } = run([body([disk('d-1', ['a'])])], -1);
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(lines('resource.outcome')).toMatchObject([{ outcome: 'deferred', error: { code: 'DeadlineExceeded' } }]);
  });

  it.each([
    ['the work queue refuses a continuation', QUEUE, 0, 'work'],
    ['the dead-letter queue refuses exhausted work', DLQ, 3, 'dlq'],
  ] as const)('logs handoff.failed when %s', async (_name, refusing, attempt, kind) => {
    // Prepare: two resources left unfinished by the deadline (or by failures, on the last attempt)
    const { ecs, queue, run, lines } = setUp([resource('d-1', { a: '1' }), resource('d-2', { a: '1' })]);
    ecs.fail({ error: ECS_CODES.transient });
    queue.fail({ queueUrl: refusing, code: 'KmsThrottled' });
    const continuation = attempt > 0 ? { continuation: { attempt, sourceMessageId: 'older' } } : {};
    // Act
    const { records, result } = run(
      [body([disk('d-1', ['a']), disk('d-2', ['a'])], continuation)],
      attempt ? 60_000 : -1,
    );
    const { batchItemFailures } = await result;
    // Assess
    expect(batchItemFailures).toStrictEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(lines('handoff.failed')).toStrictEqual([
      expect.objectContaining({
        level: 'error',
        manifestId: 'm-1',
        messageId: records[0]?.messageId,
        queue: kind,
        error: { code: 'KmsThrottled', message: expect.stringContaining('fake KmsThrottled') },
        resources: 2,
      }),
    ]);
  });

  it('logs no handoff.failed line when the hand-off succeeds', async () => {
    // Prepare
    const { run, lines } = setUp([resource('d-1', { a: '1' })]);
    // Act
    await run([body([disk('d-1', ['a'])])], -1).result;
    // Assess
    expect(lines('manifest.continued')).toHaveLength(1);
    expect(lines('handoff.failed')).toStrictEqual([]);
  });

  it('logs one summary and one EMF metrics document per invocation', async () => {
    // Prepare
    const { run, lines, records } = setUp([resource('d-1', { a: '1', b: '2' })]);
    // Act
    await run([body([disk('d-1', ['a', 'b'])]), 'poison']).result;
    // Assess
    expect(lines('invocation.summary')).toMatchObject([{ records: 2, manifests: 1, poison: 1 }]);
    const emf = records().filter((l) => l._aws !== undefined);
    expect(emf).toMatchObject([
      { FunctionName: 'fn', TagsRemoved: 2, Calls: 1, PoisonMessages: 1, FailedResources: 0 },
    ]);
  });

  it('runs a manifest of 10 000 resources with one outcome line for each', async () => {
    // Prepare: every resource missing, so each costs exactly one call that fails for good
    const { run, lines } = setUp([]);
    const entries = Array.from({ length: 10_000 }, (_, i) => disk(`d-n${i}`, ['env']));
    // Act
    const { batchItemFailures } = await run([body(entries)]).result;
    // Assess
    expect(batchItemFailures).toStrictEqual([]);
    const all = lines('resource.outcome');
    expect(new Set(all.map((l) => l.resourceId)).size).toBe(10_000);
    expect(all).toHaveLength(10_000);
    expect(
      all.every((l) => l.outcome === 'failed' && (l.error as { code?: string })?.code === ECS_CODES.permanent),
    ).toBe(true);
  });
});

describe('makeBatchHandler', () => {
  it('sets the deadline at the remaining time less the configured margin when a third of it is more', async () => {
    // Prepare: 60 s left, a 1 s margin, and requests allowed to run longer than that
    const { ecs, deps } = setUp([resource('d-1', { a: '1' })], { TAG_CLEANUP_REQUEST_TIMEOUT_MS: '100000' });
    const handler = makeBatchHandler(deps);
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => 60_000 };
    // Act
    await handler({ Records: [sqsRecord(body([disk('d-1', ['a'])]))] }, context);
    // Assess: the call may run until the deadline and no longer
    expect(ecs.calls.map((c) => c.options.timeoutMs)).toStrictEqual([59_000]);
  });

  it('hands everything on untouched when no time is left', async () => {
    // Prepare
    const { ecs, queue, deps } = setUp([resource('d-1', { a: '1' })]);
    const handler = makeBatchHandler(deps);
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => 0 };
    // Act
    const response = await handler({ Records: [sqsRecord(body([disk('d-1', ['a'])]))] }, context);
    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(ecs.calls).toHaveLength(0);
    expect(queue.messages(QUEUE)).toHaveLength(1);
  });
});
