import { describe, expect, it } from 'vitest';
import { DLQ_ATTRIBUTES } from '../../lib/aws/send-to-dlq.ts';
import type { TagSpec } from '../../lib/core/manifest/types.ts';
import type { GiveUpReason, UnfinishedResult } from '../../lib/core/outcome.ts';
import { continuationDelaySeconds, type HandoffOptions, handOff } from '../../lib/lambda/handoff.ts';
import { manifest } from '../support/ecs.ts';
import { FakeQueue } from '../support/fakes/queue.ts';

const QUEUE = 'https://sqs.test/000000000000/work';
const DLQ = 'https://sqs.test/000000000000/work-dlq';

/** An unfinished result for `resourceId`, still to remove `remaining`. */
function unfinished(
  resourceId: string,
  remaining: readonly TagSpec[],
  more: Partial<Pick<UnfinishedResult, 'unfinishedReason' | 'error' | 'removed' | 'regionId'>> = {},
): UnfinishedResult {
  const regionId = more.regionId ?? 'cn-hangzhou';
  return {
    key: `${regionId}/disk/${resourceId}`,
    regionId,
    resourceType: 'disk',
    resourceId,
    status: 'unfinished',
    unfinishedReason: 'deadline',
    removed: [],
    remaining,
    calls: 1,
    attempts: 1,
    throttles: 0,
    requestIds: [],
    durationMs: 1,
    ...more,
  };
}

function options(queue: FakeQueue, more: Partial<HandoffOptions> = {}): HandoffOptions {
  return {
    queue,
    queueUrl: QUEUE,
    dlqUrl: DLQ,
    maxContinuations: 3,
    maxMessageBytes: 262_144,
    madeProgress: false,
    random: () => 0,
    ...more,
  };
}

/** A manifest already on continuation `attempt` (0: an original). */
function onAttempt(attempt: number) {
  const m = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }, { key: 'b' }] }], { manifestId: 'm-1' });
  return attempt === 0 ? m : { ...m, continuation: { attempt } };
}

describe('handOff continuations', () => {
  it('carries exactly the remaining tags of each unfinished resource, and where they came from', async () => {
    // Prepare
    const queue = new FakeQueue();
    const results = [
      unfinished('d-1', [{ key: 'b' }], { removed: [{ key: 'a' }] }),
      unfinished('d-2', [{ key: 'c', value: '3' }], { regionId: 'cn-shanghai' }),
    ];
    // Act
    const handoff = await handOff(onAttempt(0), results, 'source-1', options(queue));
    // Assess
    expect(handoff.handedOn).toBe(true);
    expect(handoff.failure).toBeUndefined();
    expect(queue.bodies(QUEUE)).toStrictEqual([
      {
        version: 1,
        manifestId: 'm-1',
        regionId: 'cn-hangzhou',
        dryRun: false,
        resources: [
          { resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'b' }] },
          { resourceType: 'disk', resourceId: 'd-2', regionId: 'cn-shanghai', tags: [{ key: 'c', value: '3' }] },
        ],
        continuation: { attempt: 1, sourceMessageId: 'source-1' },
      },
    ]);
    expect(queue.messages(DLQ)).toHaveLength(0);
  });

  it('settles each resource as deferred, naming the continuation message', async () => {
    // Prepare
    const queue = new FakeQueue();
    const result = unfinished('d-1', [{ key: 'a' }]);
    // Act
    const handoff = await handOff(onAttempt(0), [result], 'source-1', options(queue));
    // Assess
    const [message] = queue.messages(QUEUE);
    expect(handoff.continuationMessageIds).toStrictEqual([message?.messageId]);
    expect(handoff.settle(result)).toStrictEqual({ outcome: 'deferred', continuationMessageId: message?.messageId });
  });

  it.each([
    ['a deadline cut after progress keeps the attempt count', 'deadline', true, 3, 3],
    ['a deadline cut after progress on an original counts as the first', 'deadline', true, 0, 1],
    ['a deadline cut without progress uses an attempt', 'deadline', false, 2, 3],
    ['transient failures use an attempt even after progress', 'exhausted', true, 2, 3],
  ] as const)('%s', async (_name, reason: GiveUpReason, madeProgress, previous, expected) => {
    // Prepare
    const queue = new FakeQueue();
    // Act
    await handOff(onAttempt(previous), [unfinished('d-1', [{ key: 'a' }], { unfinishedReason: reason })], 's', {
      ...options(queue),
      madeProgress,
    });
    // Assess
    expect(queue.bodies(QUEUE)).toMatchObject([{ continuation: { attempt: expected } }]);
  });

  it('resumes work cut by the deadline at once, and delays work that kept failing', async () => {
    // Prepare
    const queue = new FakeQueue();
    const error = { code: 'ServiceUnavailable', message: 'busy' };
    // Act
    await handOff(onAttempt(0), [unfinished('d-1', [{ key: 'a' }])], 's', options(queue));
    await handOff(onAttempt(0), [unfinished('d-2', [{ key: 'a' }], { unfinishedReason: 'exhausted', error })], 's', {
      ...options(queue),
      random: () => 0.5,
    });
    // Assess: the first continuation after failures waits 5 s × (½ fixed + ½ × 0.5 jitter)
    expect(queue.messages(QUEUE).map((m) => m.delaySeconds)).toStrictEqual([0, 3]);
    expect(queue.bodies(QUEUE)[1]).toMatchObject({ continuation: { attempt: 1, lastError: error } });
  });

  it('splits a continuation too large for one message into parts that all carry the work', async () => {
    // Prepare
    const queue = new FakeQueue();
    const results = Array.from({ length: 60 }, (_, i) => unfinished(`d-${i}`, [{ key: 'k'.repeat(100) }]));
    // Act
    const handoff = await handOff(onAttempt(0), results, 's', { ...options(queue), maxMessageBytes: 2048 + 2000 });
    // Assess
    const bodies = queue.bodies(QUEUE) as { resources: { resourceId: string }[]; part: { count: number } }[];
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((b) => b.part.count === bodies.length)).toBe(true);
    expect(bodies.flatMap((b) => b.resources.map((r) => r.resourceId))).toStrictEqual(results.map((r) => r.resourceId));
    expect(handoff.settle(results[0] as UnfinishedResult).continuationMessageId).toBe(
      queue
        .messages(QUEUE)
        .map((m) => m.messageId)
        .join(','),
    );
  });
});

describe('handOff dead letters', () => {
  it('dead-letters the rest once the continuation limit is used up, with the reason and the source', async () => {
    // Prepare
    const queue = new FakeQueue();
    const error = { code: 'InternalError', message: 'boom' };
    const result = unfinished('d-1', [{ key: 'a' }], { unfinishedReason: 'exhausted', error });
    // Act
    const handoff = await handOff(onAttempt(3), [result], 'source-9', options(queue));
    // Assess
    expect(queue.messages(QUEUE)).toHaveLength(0);
    const [dead] = queue.messages(DLQ);
    expect(dead?.attributes).toStrictEqual({
      [DLQ_ATTRIBUTES.code]: 'ContinuationsExhausted',
      [DLQ_ATTRIBUTES.reason]: 'still unfinished after 3 continuation(s); last error InternalError: boom',
      [DLQ_ATTRIBUTES.source]: 'source-9',
    });
    expect(JSON.parse(dead?.body ?? '{}')).toMatchObject({
      resources: [{ resourceId: 'd-1', tags: [{ key: 'a' }] }],
      continuation: { attempt: 4, lastError: error },
    });
    expect(handoff).toMatchObject({ handedOn: true, deadLetterMessageId: dead?.messageId });
    expect(handoff.settle(result)).toStrictEqual({ outcome: 'failed', error, deadLetterMessageId: dead?.messageId });
  });

  it('fails a resource without an error of its own with the exhaustion reason', async () => {
    // Prepare
    const queue = new FakeQueue();
    const result = unfinished('d-1', [{ key: 'a' }]);
    // Act
    const handoff = await handOff(onAttempt(3), [result], 's', options(queue));
    // Assess
    expect(handoff.settle(result).error?.code).toBe('ContinuationsExhausted');
  });
});

describe('handOff when nothing can be sent', () => {
  it.each([
    ['the work queue refuses the continuation', { queueUrl: QUEUE }, 0, { queue: 'work', code: 'ServiceUnavailable' }],
    ['the dead-letter queue refuses the rest', { queueUrl: DLQ }, 3, { queue: 'dlq', code: 'ServiceUnavailable' }],
    ['the queue adapter throws', { throws: true }, 0, { queue: 'work', code: 'Error' }],
  ] as const)('is not handed on when %s, and the resource stays deferred', async (_name, rule, previous, failure) => {
    // Prepare
    const queue = new FakeQueue().fail(rule);
    const result = unfinished('d-1', [{ key: 'a' }]);
    // Act
    const handoff = await handOff(onAttempt(previous), [result], 's', options(queue));
    // Assess
    expect(handoff.handedOn).toBe(false);
    expect(handoff.continuationMessageIds).toStrictEqual([]);
    expect(handoff.settle(result)).toMatchObject({ outcome: 'deferred', error: { code: 'HandoffFailed' } });
    expect(handoff.failure).toMatchObject(failure);
  });

  it('keeps the resource’s own error when the hand-off fails', async () => {
    // Prepare
    const queue = new FakeQueue().fail({});
    const error = { code: 'Throttling.User', message: 'slow down' };
    const result = unfinished('d-1', [{ key: 'a' }], { unfinishedReason: 'exhausted', error });
    // Act
    const handoff = await handOff(onAttempt(0), [result], 's', options(queue));
    // Assess
    expect(handoff.settle(result)).toStrictEqual({ outcome: 'deferred', error });
  });

  it('is not handed on when one tag cannot fit in a message', async () => {
    // Prepare
    const queue = new FakeQueue();
    const result = unfinished('d-1', [{ key: 'k', value: 'v'.repeat(5000) }]);
    // Act
    const handoff = await handOff(onAttempt(0), [result], 's', { ...options(queue), maxMessageBytes: 4096 });
    // Assess
    expect(handoff.handedOn).toBe(false);
    expect(handoff.settle(result).error?.message).toMatch(/needs \d+ bytes/);
    expect(handoff.failure).toMatchObject({ queue: 'work', code: 'MessageTooLargeError' });
    expect(queue.sends).toHaveLength(0);
  });
});

describe('continuationDelaySeconds', () => {
  it.each([
    [1, 0, 2],
    [1, 0.999, 4],
    [2, 0.5, 7],
    [3, 0, 10],
    [8, 0, 320],
    [9, 0.999, 899],
    [20, 0, 450],
  ])('waits on attempt %i with jitter %d for %i s', (attempt, random, seconds) => {
    // Act
    const delay = continuationDelaySeconds(attempt, true, () => random);
    // Assess
    expect(delay).toBe(seconds);
  });

  it('does not wait after a deadline cut', () => {
    // Act
    const delay = continuationDelaySeconds(5, false, () => 0.9);
    // Assess
    expect(delay).toBe(0);
  });
});
