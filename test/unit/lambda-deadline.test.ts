import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { type BatchDeps, makeBatchHandler } from '../../lib/lambda/batch.ts';
import { effectiveMarginMs, invocationDeadlineAt } from '../../lib/lambda/invocation-deadline.ts';
import { capturingLogger, inventory, resource } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { FakeEcsClient } from '../support/fakes/ecs-client.ts';
import { FakeQueue } from '../support/fakes/queue.ts';
import { lambdaContext, sqsRecord } from '../support/lambda.ts';

const QUEUE = 'https://sqs.test/000000000000/work';
const DLQ = 'https://sqs.test/000000000000/work-dlq';

describe('effectiveMarginMs', () => {
  it.each([
    ['a long invocation keeps the configured margin', 15_000, 300_000, 15_000],
    ['a 5 s invocation keeps a third of it', 15_000, 5_000, 5_000 / 3],
    ['a margin below a third stays as configured', 1_000, 5_000, 1_000],
    ['no time left keeps nothing back', 15_000, 0, 0],
    ['a negative remaining time keeps nothing back', 15_000, -5, 0],
  ])('%s', (_name, configuredMs, remainingMs, expectedMs) => {
    // Act
    const marginMs = effectiveMarginMs(configuredMs, remainingMs);
    // Assess
    expect(marginMs).toBeCloseTo(expectedMs, 6);
  });
});

describe('invocationDeadlineAt', () => {
  it('leaves two thirds of a short invocation for calls', () => {
    // Act
    const deadlineAt = invocationDeadlineAt(1_000_000, 6_000, 15_000);
    // Assess
    expect(deadlineAt).toBe(1_004_000);
  });
});

/** A 5-second invocation over `count` disks with two tags each, every ECS call taking `latencyMs` of fake time. */
function shortInvocation(count: number, latencyMs: number) {
  const clock = fakeClock();
  const disks = Array.from({ length: count }, (_, i) =>
    resource(`d-${String(i).padStart(4, '0')}`, { a: '1', b: '2' }),
  );
  const ecs = new FakeEcsClient(inventory(...disks)).latency(latencyMs, clock.sleep);
  const queue = new FakeQueue();
  const { logger, records } = capturingLogger();
  const deps: BatchDeps = {
    // The configured margin is the default 15 s: three times the whole invocation.
    config: requireQueues(loadConfig({ TAG_CLEANUP_QUEUE_URL: QUEUE, TAG_CLEANUP_DLQ_URL: DLQ })),
    queue,
    client: ecs,
    rate: new AdaptiveRateController({ maxQps: 1e12, now: clock.now, sleep: clock.sleep }),
    logger,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  };
  const body = JSON.stringify({
    version: 1,
    manifestId: 'm-short',
    regionId: 'cn-hangzhou',
    resources: disks.map((d) => ({
      resourceType: 'disk',
      resourceId: d.resourceId,
      tags: [{ key: 'a' }, { key: 'b' }],
    })),
  });
  const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => 5_000 };
  const invoke = () => makeBatchHandler(deps)({ Records: [sqsRecord(body)] }, context);
  return { ecs, queue, records, invoke, ids: disks.map((d) => d.resourceId) };
}

describe('makeBatchHandler with a timeout shorter than the configured margin', () => {
  it('removes some tags, hands exactly the rest on, and logs one outcome per resource', async () => {
    // Prepare: 400 resources at 20 ms a call need 8 s; the invocation has 5 s
    const { ecs, queue, records, invoke, ids } = shortInvocation(400, 20);
    // Act
    const response = await invoke();
    // Assess
    expect(response).toStrictEqual({ batchItemFailures: [] });
    const outcomes = records().filter((r) => r.event === 'resource.outcome');
    expect(outcomes.map((o) => o.resourceId).sort()).toStrictEqual(ids);
    const removed = outcomes.filter((o) => o.outcome === 'removed').map((o) => String(o.resourceId));
    const deferred = outcomes.filter((o) => o.outcome === 'deferred').map((o) => String(o.resourceId));
    expect(removed.length).toBeGreaterThan(100);
    expect(deferred.length).toBeGreaterThan(100);
    expect(removed.length + deferred.length).toBe(400);
    for (const id of removed) expect(ecs.tagsOf(id)).toStrictEqual({});
    const continued = queue.messages(QUEUE).flatMap((m) => parseManifest(m.body).resources);
    expect(continued.map((r) => r.resourceId).sort()).toStrictEqual(deferred.sort());
    for (const entry of continued) {
      // Exactly the tags still on the resource: nothing removed twice, nothing dropped.
      expect(Object.fromEntries(entry.tags.map((t) => [t.key, ecs.tagsOf(entry.resourceId)?.[t.key]]))).toStrictEqual(
        ecs.tagsOf(entry.resourceId),
      );
    }
    expect(queue.messages(DLQ)).toHaveLength(0);
  });

  it('stops starting calls two thirds into the invocation', async () => {
    // Prepare
    const { ecs, invoke } = shortInvocation(1, 20);
    // Act
    await invoke();
    // Assess: the first call may run until the deadline, 5 s less a third of it
    expect(ecs.calls.map((c) => c.options.timeoutMs)).toStrictEqual([3_333]);
  });
});
