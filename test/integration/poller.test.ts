import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { judgeResponse } from '../../dev/local/judge-response.ts';
import { type InvokeReport, type Poller, startPoller } from '../../dev/local/poller.ts';
import { startLocalStack } from '../../dev/local/stack.ts';
import { sendMessages } from '../../lib/aws/sqs-send.ts';
import { type Fauxqs, startFauxqs } from '../support/fauxqs.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('judgeResponse', () => {
  const ids = ['a', 'b', 'c'];
  it.each([
    ['nothing', undefined, 'success', []],
    ['null', null, 'success', []],
    ['an empty list', { batchItemFailures: [] }, 'success', []],
    ['a null list', { batchItemFailures: null }, 'success', []],
    ['one known id', { batchItemFailures: [{ itemIdentifier: 'b' }] }, 'partial', ['b']],
    ['an unknown id', { batchItemFailures: [{ itemIdentifier: 'zzz' }] }, 'invalid-response', ids],
    ['an empty id', { batchItemFailures: [{ itemIdentifier: '' }] }, 'invalid-response', ids],
    ['a bad key name', { batchItemFailures: [{ id: 'a' }] }, 'invalid-response', ids],
    ['a string', 'ok', 'invalid-response', ids],
  ])('judges %s', (_, result, outcome, failedIds) => {
    expect(judgeResponse(result, ids)).toStrictEqual({ outcome, failedIds });
  });
});

describe('startPoller', () => {
  let fq: Fauxqs;
  let poller: Poller | undefined;
  let n = 0;

  beforeAll(async () => {
    fq = await startFauxqs();
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });
  afterAll(async () => {
    await fq.close();
  });

  async function seed(queueUrl: string, bodies: string[], attributes = false): Promise<string[]> {
    const out = await fq.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          ...(attributes ? { MessageAttributes: { origin: { DataType: 'String', StringValue: `seed-${i}` } } } : {}),
        })),
      }),
    );
    return (out.Successful ?? []).map((s) => s.MessageId ?? '');
  }

  function collect(): { reports: InvokeReport[]; onInvoke: (r: InvokeReport) => void } {
    const reports: InvokeReport[] = [];
    return { reports, onInvoke: (r) => reports.push(r) };
  }

  it('delivers a Lambda-shaped SQS event and context, then deletes the batch', async () => {
    // Prepare
    const { queueUrl, queueArn } = await fq.createQueuePair(`poll-${++n}`);
    const ids = await seed(queueUrl, ['one', 'two'], true);
    const seen: { event: SQSEvent; context: Context; remaining: [number, number] }[] = [];
    const { reports, onInvoke } = collect();
    // Act
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 30_000,
      waitTimeSeconds: 0,
      onInvoke,
      handler: async (event, context) => {
        const first = context.getRemainingTimeInMillis();
        await new Promise((r) => setTimeout(r, 20));
        seen.push({ event, context, remaining: [first, context.getRemainingTimeInMillis()] });
      },
    });
    await poller.runUntilIdle({ idleMs: 100, timeoutMs: 5000 });
    // Assess
    expect(seen).toHaveLength(1);
    const { event, context, remaining } = seen[0] ?? expect.unreachable();
    expect(event.Records.map((r) => r.messageId)).toStrictEqual(ids);
    const record = event.Records[0] ?? expect.unreachable();
    expect(record).toMatchObject({
      body: 'one',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
      receiptHandle: expect.any(String),
      md5OfBody: expect.any(String),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        origin: { stringValue: 'seed-0', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
    });
    expect(context.awsRequestId).toMatch(UUID);
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:us-east-1:\d+:function:/);
    expect(remaining[0]).toBeLessThanOrEqual(30_000);
    expect(remaining[1]).toBeLessThan(remaining[0]);
    expect(reports.map((r) => [r.outcome, r.deletedIds.length])).toStrictEqual([['success', 2]]);
    expect(await fq.counts(queueUrl)).toStrictEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });

  it('deletes the records that succeeded and redelivers the one reported as failed', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`, { attributes: { VisibilityTimeout: '1' } });
    const [a, b, c] = await seed(queueUrl, ['a', 'b', 'c']);
    const deliveries: { id: string; receiveCount: string }[] = [];
    const { reports, onInvoke } = collect();
    // Act
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 0,
      onInvoke,
      handler: async (event): Promise<SQSBatchResponse> => {
        for (const r of event.Records)
          deliveries.push({ id: r.messageId, receiveCount: r.attributes.ApproximateReceiveCount });
        const first = deliveries.filter((d) => d.id === b).length === 1;
        return { batchItemFailures: first ? [{ itemIdentifier: b ?? '' }] : [] };
      },
    });
    await poller.runUntilIdle({ idleMs: 100, timeoutMs: 8000 });
    // Assess
    expect(reports.map((r) => r.outcome)).toStrictEqual(['partial', 'success']);
    expect(reports[0]?.deletedIds).toStrictEqual([a, c]);
    expect(reports[0]?.failedIds).toStrictEqual([b]);
    expect(deliveries).toStrictEqual([
      { id: a, receiveCount: '1' },
      { id: b, receiveCount: '1' },
      { id: c, receiveCount: '1' },
      { id: b, receiveCount: '2' },
    ]);
  });

  it('keeps the whole batch when the handler throws, until the redrive policy moves it to the DLQ', async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await fq.createQueuePair(`poll-${++n}`, {
      maxReceiveCount: 2,
      attributes: { VisibilityTimeout: '1' },
    });
    await seed(queueUrl, ['x', 'y']);
    const { reports, onInvoke } = collect();
    // Act
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 0,
      onInvoke,
      handler: async () => {
        throw new Error('boom');
      },
    });
    await poller.runUntilIdle({ idleMs: 100, timeoutMs: 8000 });
    // Assess
    expect(reports.map((r) => [r.outcome, r.deletedIds.length])).toStrictEqual([
      ['error', 0],
      ['error', 0],
    ]);
    expect((await fq.receiveAll(dlqUrl)).map((m) => m.Body).sort()).toStrictEqual(['x', 'y']);
  });

  it('fails the batch when the handler outlives the function timeout', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`);
    await seed(queueUrl, ['slow']);
    let remainingAtEnd = -1;
    let resolveReport: (r: InvokeReport) => void = () => {};
    const reported = new Promise<InvokeReport>((resolve) => {
      resolveReport = resolve;
    });
    // Act
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 50,
      waitTimeSeconds: 0,
      onInvoke: resolveReport,
      handler: async (_event, context) => {
        await new Promise((r) => setTimeout(r, 200));
        remainingAtEnd = context.getRemainingTimeInMillis();
        return { batchItemFailures: [] };
      },
    });
    const report = await reported;
    await poller.stop();
    await new Promise((r) => setTimeout(r, 250));
    // Assess
    expect(report.outcome).toBe('timeout');
    expect(report.deletedIds).toStrictEqual([]);
    expect(remainingAtEnd).toBe(0);
    expect((await fq.counts(queueUrl)).notVisible).toBe(1);
  });

  it('keeps the whole batch when the response names a record that is not in it', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`);
    await seed(queueUrl, ['p', 'q']);
    let resolveReport: (r: InvokeReport) => void = () => {};
    const reported = new Promise<InvokeReport>((resolve) => {
      resolveReport = resolve;
    });
    // Act
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 0,
      onInvoke: resolveReport,
      handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }),
    });
    const report = await reported;
    await poller.stop();
    // Assess
    expect(report.outcome).toBe('invalid-response');
    expect(report.deletedIds).toStrictEqual([]);
    expect((await fq.counts(queueUrl)).notVisible).toBe(2);
  });

  /** Resolves once the queue shows `n` messages in flight (received by the poller, not yet deleted). */
  async function inFlight(queueUrl: string, n: number): Promise<void> {
    while ((await fq.counts(queueUrl)).notVisible < n) await new Promise((r) => setTimeout(r, 10));
  }

  it('gathers messages sent within the batching window into the same invocation', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`);
    const { reports, onInvoke } = collect();
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 0,
      maximumBatchingWindowMs: 1500,
      onInvoke,
      handler: async () => {},
    });
    // Act: one message, and two more once the poller holds the first
    const [first] = await seed(queueUrl, ['first']);
    await inFlight(queueUrl, 1);
    const later = await seed(queueUrl, ['second', 'third']);
    await poller.runUntilIdle({ idleMs: 100, timeoutMs: 8000 });
    // Assess
    expect(reports.map((r) => r.messageIds)).toStrictEqual([[first, ...later]]);
  });

  it('invokes as soon as the batch is full, without waiting out the window', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`);
    let resolveReport: (r: InvokeReport) => void = () => {};
    const invoked = new Promise<InvokeReport>((resolve) => {
      resolveReport = resolve;
    });
    poller = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 0,
      batchSize: 2,
      // Far longer than the test's timeout: only a full batch can end the wait in time.
      maximumBatchingWindowMs: 120_000,
      onInvoke: (r) => resolveReport(r),
      handler: async () => {},
    });
    // Act
    const [first] = await seed(queueUrl, ['first']);
    await inFlight(queueUrl, 1);
    const [second] = await seed(queueUrl, ['second']);
    const report = await invoked;
    // Assess
    expect(report.messageIds).toStrictEqual([first, second]);
  });

  it.each([-1, 300_001, Number.NaN])('refuses a batching window of %s ms', (windowMs) => {
    expect(() =>
      startPoller({
        sqs: fq.sqs,
        queueUrl: 'http://127.0.0.1:1/000000000000/none',
        functionTimeoutMs: 1000,
        maximumBatchingWindowMs: windowMs,
        handler: async () => {},
      }),
    ).toThrow(RangeError);
  });

  it('stops when its abort signal fires', async () => {
    // Prepare
    const { queueUrl } = await fq.createQueuePair(`poll-${++n}`);
    const controller = new AbortController();
    let calls = 0;
    const p = startPoller({
      sqs: fq.sqs,
      queueUrl,
      functionTimeoutMs: 5000,
      waitTimeSeconds: 1,
      signal: controller.signal,
      handler: async () => {
        calls += 1;
      },
    });
    // Act
    controller.abort();
    await p.stop();
    await seed(queueUrl, ['after-stop']);
    // Assess
    expect(calls).toBe(0);
    expect(p.invocations).toBe(0);
    expect((await fq.counts(queueUrl)).visible).toBe(1);
  });
});

describe('startLocalStack', () => {
  it('wires a work queue with a DLQ, the ECS emulator and a poller, and closes them all', async () => {
    // Prepare
    const bodies: string[] = [];
    const stack = await startLocalStack({
      inventory: {
        resources: [{ regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-1', tags: { owner: 'ops' } }],
      },
      maxReceiveCount: 3,
      poller: {
        functionTimeoutMs: 5000,
        waitTimeSeconds: 0,
        handler: async (event) => {
          bodies.push(...event.Records.map((r) => r.body));
        },
      },
    });
    try {
      // Act
      const sent = await sendMessages(stack.sqs, stack.queueUrl, [{ body: 'hello' }]);
      await stack.poller?.runUntilIdle({ idleMs: 100, timeoutMs: 5000 });
      const attributes = await stack.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      // Assess
      expect(sent.failed).toStrictEqual([]);
      expect(bodies).toStrictEqual(['hello']);
      expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toStrictEqual({
        deadLetterTargetArn: stack.dlqArn,
        maxReceiveCount: 3,
      });
      expect(stack.emulator.getTags('cn-hangzhou', 'instance', 'i-1')).toStrictEqual({ owner: 'ops' });
      expect(stack.env).toMatchObject({
        TAG_CLEANUP_ECS_ENDPOINT: stack.emulator.url,
        TAG_CLEANUP_QUEUE_URL: stack.queueUrl,
        TAG_CLEANUP_DLQ_URL: stack.dlqUrl,
        ALIBABA_CLOUD_ACCESS_KEY_ID: stack.credentials.accessKeyId,
      });
    } finally {
      await stack.close();
    }
    // Assess: nothing listens any more.
    await expect(fetch(stack.emulator.url)).rejects.toThrow();
    await expect(fetch(stack.sqsEndpoint)).rejects.toThrow();
  });

  it('creates the events queue with its own DLQ when asked, and names both in the environment', async () => {
    // Prepare
    const stack = await startLocalStack({ inventory: { resources: [] }, eventsQueue: true, maxReceiveCount: 4 });
    try {
      // Act
      const attributes = await stack.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: stack.events?.queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      // Assess
      expect(stack.events?.queueUrl).toMatch(/tag-cleanup-local-events$/);
      expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toStrictEqual({
        deadLetterTargetArn: stack.events?.dlqArn,
        maxReceiveCount: 4,
      });
      expect(stack.env).toMatchObject({
        TAG_CLEANUP_EVENTS_QUEUE_URL: stack.events?.queueUrl,
        TAG_CLEANUP_EVENTS_DLQ_URL: stack.events?.dlqUrl,
      });
    } finally {
      await stack.close();
    }
  });
});
