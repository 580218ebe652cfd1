import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueManifests } from '../../lib/aws/enqueue-manifests.ts';
import { attributeValue, DLQ_ATTRIBUTES, sendToDlq } from '../../lib/aws/send-to-dlq.ts';
import { sqsBody } from '../../lib/aws/sqs-body.ts';
import {
  clampDelaySeconds,
  isRetryableSqsError,
  messageBytes,
  SqsQueueSender,
  sendMessages,
} from '../../lib/aws/sqs-send.ts';
import { ATTRIBUTE_HEADROOM_BYTES, splitWireManifest, utf8Bytes } from '../../lib/aws/sqs-split.ts';
import { MessageTooLargeError, SqsSendError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { WireEntry, WireManifest } from '../../lib/core/manifest/wire.ts';
import type { UnfinishedResult } from '../../lib/core/outcome.ts';
import { handOff } from '../../lib/lambda/handoff.ts';
import { type FaultDecision, type Fauxqs, startFaultProxy, startFauxqs } from '../support/fauxqs.ts';

// ---------- factories ----------

function entry(id: string, tags: WireEntry['tags'] = [{ key: 'owner' }]): WireEntry {
  return { resourceType: 'instance', resourceId: id, tags };
}

function wireWith(resources: WireEntry[], extra: Partial<WireManifest> = {}): WireManifest {
  return { version: 1, manifestId: 'm-1', regionId: 'cn-hangzhou', dryRun: false, resources, ...extra };
}

function ids(n: number, prefix = 'i-'): WireEntry[] {
  return Array.from({ length: n }, (_, i) => entry(`${prefix}${String(i).padStart(6, '0')}`));
}

function tags(n: number, value = 'v'): WireEntry['tags'] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${String(i).padStart(4, '0')}`, value }));
}

// What SQS is sent and charges for: the escaped body.
const bodyBytes = (m: unknown) => utf8Bytes(sqsBody(m));
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Entries merged back per resource id, in order, as the planner would see them across parts. */
function merged(parts: readonly { resources: readonly WireEntry[] }[]): Map<string, WireEntry['tags']> {
  const out = new Map<string, WireEntry['tags']>();
  for (const part of parts) {
    for (const r of part.resources) out.set(r.resourceId, [...(out.get(r.resourceId) ?? []), ...r.tags]);
  }
  return out;
}

// ---------- splitWireManifest ----------

describe('splitWireManifest', () => {
  it('returns a manifest that fits unchanged and without part numbers', () => {
    // Prepare
    const wire = wireWith(ids(3));
    // Act
    const parts = splitWireManifest(wire, 64 * 1024);
    // Assess
    expect(parts).toHaveLength(1);
    expect(parts[0]).toBe(wire);
    expect(parts[0]).not.toHaveProperty('part');
  });

  it('keeps a body of exactly the budget in one message and splits one byte over it', () => {
    // Prepare
    const wire = wireWith(ids(40));
    const exact = bodyBytes(wire) + ATTRIBUTE_HEADROOM_BYTES;
    // Act
    const atLimit = splitWireManifest(wire, exact);
    const overLimit = splitWireManifest(wire, exact - 1);
    // Assess
    expect(atLimit).toStrictEqual([wire]);
    expect(overLimit.length).toBeGreaterThan(1);
  });

  it('gives every part the envelope, 1-based part numbers and a body within the budget', () => {
    // Prepare
    const continuation = {
      attempt: 2,
      sourceMessageId: 'msg-9',
      lastError: { code: 'Throttling', message: 'slow down' },
    };
    const wire = wireWith(ids(200), { dryRun: true, continuation });
    const maxBytes = 4096;
    // Act
    const parts = splitWireManifest(wire, maxBytes);
    // Assess
    expect(parts.length).toBeGreaterThan(2);
    parts.forEach((part, i) => {
      expect(bodyBytes(part)).toBeLessThanOrEqual(maxBytes - ATTRIBUTE_HEADROOM_BYTES);
      expect(part).toMatchObject({
        version: 1,
        manifestId: 'm-1',
        regionId: 'cn-hangzhou',
        dryRun: true,
        continuation,
      });
      expect(part.part).toStrictEqual({ index: i + 1, count: parts.length });
    });
    expect(parts.flatMap((p) => p.resources)).toStrictEqual(wire.resources);
  });

  it('uses the fewest parts: every part but the last is full', () => {
    // Prepare: equal-size entries and room for exactly 7 of them next to one-digit part numbers.
    const resources = ids(60);
    const wire = wireWith(resources);
    const itemBytes = bodyBytes(resources[0]);
    const envelopeBytes = bodyBytes({ ...wire, resources: [], part: { index: 1, count: 1 } });
    const budget = envelopeBytes + 7 * itemBytes + 6;
    // Act
    const parts = splitWireManifest(wire, budget + ATTRIBUTE_HEADROOM_BYTES);
    // Assess
    expect(parts.map((p) => p.resources.length)).toStrictEqual([7, 7, 7, 7, 7, 7, 7, 7, 4]);
    expect(bodyBytes(parts[0])).toBe(budget);
    parts.slice(0, -1).forEach((part, i) => {
      const next = parts[i + 1]?.resources[0];
      expect(bodyBytes({ ...part, resources: [...part.resources, next] })).toBeGreaterThan(budget);
    });
  });

  it('leaves room for two-digit part numbers when there are ten parts or more', () => {
    // Prepare: room for exactly 7 entries with one-digit numbers; with a two-digit count only 6 fit.
    const resources = ids(100);
    const wire = wireWith(resources);
    const itemBytes = bodyBytes(resources[0]);
    const envelopeBytes = bodyBytes({ ...wire, resources: [], part: { index: 1, count: 1 } });
    const budget = envelopeBytes + 7 * itemBytes + 6;
    // Act
    const parts = splitWireManifest(wire, budget + ATTRIBUTE_HEADROOM_BYTES);
    // Assess
    expect(parts.map((p) => p.resources.length)).toStrictEqual([...Array(16).fill(6), 4]);
    expect(parts.at(-1)?.part).toStrictEqual({ index: 17, count: 17 });
    for (const part of parts) expect(bodyBytes(part)).toBeLessThanOrEqual(budget);
    expect(parts.flatMap((p) => p.resources)).toStrictEqual(resources);
  });

  it('packs exactly as many resources per part as fit', () => {
    // Prepare: room for exactly 5 entries with one-digit part numbers.
    const resources = ids(20);
    const wire = wireWith(resources);
    const itemBytes = bodyBytes(resources[0]);
    const envelopeBytes = bodyBytes({ ...wire, resources: [], part: { index: 1, count: 1 } });
    const maxBytes = ATTRIBUTE_HEADROOM_BYTES + envelopeBytes + 5 * itemBytes + 4;
    // Act
    const parts = splitWireManifest(wire, maxBytes);
    // Assess
    expect(parts.map((p) => p.resources.length)).toStrictEqual([5, 5, 5, 5]);
    expect(bodyBytes(parts[0])).toBe(maxBytes - ATTRIBUTE_HEADROOM_BYTES);
  });

  it('measures the body as sent, non-ASCII escaped, not its UTF-16 length or its raw UTF-8 bytes', () => {
    // Prepare: 3-byte and 4-byte characters take 6 and 12 bytes once escaped.
    const resources = Array.from({ length: 30 }, (_, i) =>
      entry(`i-${i}`, [
        { key: '所有者', value: `東京🗼${i}` },
        { key: 'équipe', value: 'données' },
      ]),
    );
    const wire = wireWith(resources);
    const rawBytes = utf8Bytes(JSON.stringify(wire));
    const maxBytes = ATTRIBUTE_HEADROOM_BYTES + rawBytes; // enough for the raw UTF-8, not for the escaped body
    expect(bodyBytes(wire)).toBeGreaterThan(rawBytes);
    // Act
    const parts = splitWireManifest(wire, maxBytes);
    // Assess
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(bodyBytes(part)).toBeLessThanOrEqual(rawBytes);
    expect(parts.flatMap((p) => p.resources)).toStrictEqual(resources);
  });

  it('cuts a resource too large for one message into entries that share its tags', () => {
    // Prepare
    const big = entry('i-big', tags(300, 'x'.repeat(40)));
    const wire = wireWith([entry('i-a'), big, entry('i-b')]);
    const maxBytes = 6000;
    // Act
    const parts = splitWireManifest(wire, maxBytes);
    // Assess
    const bigEntries = parts.flatMap((p) => p.resources).filter((r) => r.resourceId === 'i-big');
    expect(bigEntries.length).toBeGreaterThan(1);
    for (const part of parts) expect(bodyBytes(part)).toBeLessThanOrEqual(maxBytes - ATTRIBUTE_HEADROOM_BYTES);
    expect(merged(parts).get('i-big')).toStrictEqual(big.tags);
    expect(merged(parts).get('i-a')).toStrictEqual([{ key: 'owner' }]);
    expect(merged(parts).get('i-b')).toStrictEqual([{ key: 'owner' }]);
  });

  it('produces parts that parse as valid manifests', () => {
    // Prepare
    const wire = wireWith([...ids(50), entry('i-big', tags(200))]);
    // Act
    const parts = splitWireManifest(wire, 4096);
    // Assess
    for (const part of parts) {
      const m = parseManifest(JSON.stringify(part));
      expect(m.rejected).toStrictEqual([]);
      expect(m.part).toStrictEqual(part.part);
    }
  });

  it('replaces part numbers the input already had', () => {
    // Prepare
    const wire = wireWith(ids(60), { part: { index: 2, count: 3 } });
    // Act
    const parts = splitWireManifest(wire, 4096);
    // Assess
    expect(parts.map((p) => p.part)).toStrictEqual(parts.map((_, i) => ({ index: i + 1, count: parts.length })));
  });

  it('refuses a tag that cannot fit in any message', () => {
    // Prepare
    const wire = wireWith([entry('i-1', [{ key: 'k', value: 'v'.repeat(5000) }])]);
    // Act
    const act = () => splitWireManifest(wire, 4096);
    // Assess
    expect(act).toThrow(MessageTooLargeError);
  });

  it('refuses a limit smaller than the attribute headroom', () => {
    // Act
    const act = () => splitWireManifest(wireWith(ids(1)), ATTRIBUTE_HEADROOM_BYTES);
    // Assess
    expect(act).toThrow(RangeError);
  });

  it('either rejects or yields parts that fit and merge back to the input', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const tagArb = fc
      .record({ key: text, value: fc.option(text, { nil: undefined }) })
      .map((t) => (t.value === undefined ? { key: t.key } : { key: t.key, value: t.value }));
    const resourcesArb = fc.uniqueArray(
      fc.record({ id: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), tags: fc.array(tagArb, { maxLength: 40 }) }),
      { selector: (r) => r.id, maxLength: 40 },
    );
    fc.assert(
      fc.property(resourcesArb, fc.integer({ min: 2200, max: 5000 }), (raw, maxBytes) => {
        // Prepare
        const wire = wireWith(raw.map((r) => entry(r.id, r.tags)));
        // Act
        let parts: ReturnType<typeof splitWireManifest<WireManifest>>;
        try {
          parts = splitWireManifest(wire, maxBytes);
        } catch (error) {
          // Assess (rejection): only for a piece that truly cannot fit.
          expect(error).toBeInstanceOf(MessageTooLargeError);
          return;
        }
        // Assess
        for (const part of parts) expect(bodyBytes(part)).toBeLessThanOrEqual(maxBytes - ATTRIBUTE_HEADROOM_BYTES);
        const expected = new Map(wire.resources.map((r) => [r.resourceId, r.tags]));
        expect(merged(parts)).toStrictEqual(expected);
        if (parts.length > 1) {
          parts.forEach((p, i) => {
            expect(p.part).toStrictEqual({ index: i + 1, count: parts.length });
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---------- pure helpers of send ----------

describe('clampDelaySeconds', () => {
  it.each([
    [-5, 0],
    [0, 0],
    [12.9, 12],
    [900, 900],
    [5000, 900],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ])('turns %s into %s', (input, expected) => {
    expect(clampDelaySeconds(input)).toBe(expected);
  });
});

describe('messageBytes', () => {
  it('counts the UTF-8 body and each attribute name, type and value', () => {
    // Act
    const bytes = messageBytes({ body: 'é', attributes: { ab: 'cd' } });
    // Assess: 2 (é) + 2 (ab) + 6 (String) + 2 (cd)
    expect(bytes).toBe(12);
  });
});

describe('attributeValue', () => {
  it('replaces characters SQS refuses and never returns an empty value', () => {
    expect(attributeValue('a\u0000b\uFFFE', 100)).toBe('a\uFFFDb\uFFFD');
    expect(attributeValue('', 100)).toBe('-');
  });

  it('truncates to the byte cap without splitting a character', () => {
    // Act
    const value = attributeValue('東'.repeat(100), 50);
    // Assess
    expect(utf8Bytes(value)).toBeLessThanOrEqual(50);
    expect(value.endsWith('…')).toBe(true);
    expect(value.replace('…', '')).toMatch(/^東+$/);
  });
});

describe('isRetryableSqsError', () => {
  const sdkError = (name: string, status: number | undefined, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(name), {
      name,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
      ...extra,
    });

  it.each([
    ['a 500', sdkError('InternalError', 500), true],
    ['throttling', sdkError('RequestThrottled', 400), true],
    ['a refused connection', Object.assign(new Error('connect'), { code: 'ECONNREFUSED', $metadata: {} }), true],
    ['a timeout', sdkError('TimeoutError', undefined), true],
    ['a missing queue', sdkError('QueueDoesNotExist', 400), false],
    ['access denied', sdkError('AccessDenied', 403), false],
    ['our own bug', new TypeError('x is undefined'), false],
    ['a non-error', 'boom', false],
  ])('classifies %s', (_, error, expected) => {
    expect(isRetryableSqsError(error)).toBe(expected);
  });
});

// ---------- sendMessages / sendToDlq against fauxqs ----------

describe('sendMessages', () => {
  let fq: Fauxqs;
  let n = 0;
  const queue = (attributes: Record<string, string> = {}) => fq.createQueue(`send-${++n}`, attributes);
  const noSleep = () => {
    const waits: number[] = [];
    return { waits, sleep: async (ms: number) => void waits.push(ms) };
  };

  beforeAll(async () => {
    fq = await startFauxqs();
  });
  afterAll(async () => {
    await fq.close();
  });

  it('sends more than one batch and reports a message id for every index', async () => {
    // Prepare
    const url = await queue();
    const messages = Array.from({ length: 25 }, (_, i) => ({ body: `m${i}` }));
    // Act
    const result = await sendMessages(fq.sqs, url, messages);
    // Assess
    expect(result.failed).toStrictEqual([]);
    expect(result.sent.map((s) => s.index)).toStrictEqual(messages.map((_, i) => i));
    const received = await fq.receiveAll(url);
    expect(received.map((m) => m.Body).sort()).toStrictEqual(messages.map((m) => m.body).sort());
    expect(new Set(received.map((m) => m.MessageId))).toStrictEqual(new Set(result.sent.map((s) => s.messageId)));
  });

  it('keeps every batch within the SQS payload limit', async () => {
    // Prepare: seven 300 KiB messages; one batch of all would be 2 MiB and fauxqs would refuse it.
    const url = await queue();
    const messages = Array.from({ length: 7 }, (_, i) => ({ body: `${i}`.padEnd(300 * 1024, 'x') }));
    // Act
    const result = await sendMessages(fq.sqs, url, messages);
    // Assess
    expect(result.failed).toStrictEqual([]);
    expect(result.sent).toHaveLength(7);
  });

  it('carries attributes and a clamped delay', async () => {
    // Prepare
    const seen: Record<string, unknown>[] = [];
    const proxy = await startFaultProxy(fq.endpoint, (action, body) => {
      if (action === 'SendMessageBatch') seen.push(body);
      return { kind: 'forward' };
    });
    const url = await queue();
    // Act
    const result = await sendMessages(fq.client({ endpoint: proxy.endpoint }), url, [
      { body: 'later', delaySeconds: 5000, attributes: { 'tagCleanup.kind': 'continuation' } },
    ]);
    await proxy.close();
    // Assess
    expect(result.sent).toHaveLength(1);
    expect(seen[0]?.Entries).toStrictEqual([
      {
        Id: '0',
        MessageBody: 'later',
        DelaySeconds: 900,
        MessageAttributes: { 'tagCleanup.kind': { DataType: 'String', StringValue: 'continuation' } },
      },
    ]);
    expect(await fq.counts(url)).toStrictEqual({ visible: 0, notVisible: 0, delayed: 1 });
  });

  it('fails an entry SQS rejects as the sender’s fault without retrying it, and sends the rest', async () => {
    // Prepare
    const url = await queue();
    const { waits, sleep } = noSleep();
    // Act
    const result = await sendMessages(fq.sqs, url, [{ body: 'ok-1' }, { body: 'bad\uFFFE' }, { body: 'ok-2' }], {
      sleep,
    });
    // Assess
    expect(result.sent.map((s) => s.index)).toStrictEqual([0, 2]);
    expect(result.failed).toStrictEqual([{ index: 1, code: 'InvalidMessageContents', message: expect.any(String) }]);
    expect(waits).toStrictEqual([]);
  });

  it('retries only the entries SQS failed on its side', async () => {
    // Prepare: the first batch call answers "entries 1 and 2 failed, server fault" without storing anything.
    let calls = 0;
    const proxy = await startFaultProxy(fq.endpoint, (action, body): FaultDecision => {
      if (action !== 'SendMessageBatch' || ++calls > 1) return { kind: 'forward' };
      const entries = (body.Entries ?? []) as { Id: string; MessageBody: string }[];
      const first = entries[0];
      return {
        kind: 'respond',
        status: 200,
        body: {
          // The SDK checks the body MD5 of every success, as it should.
          Successful: [{ Id: first?.Id, MessageId: 'first-try-id', MD5OfMessageBody: md5(first?.MessageBody ?? '') }],
          Failed: entries
            .slice(1)
            .map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
        },
      };
    });
    const url = await queue();
    const { waits, sleep } = noSleep();
    // Act
    const result = await sendMessages(
      fq.client({ endpoint: proxy.endpoint }),
      url,
      [{ body: 'a' }, { body: 'b' }, { body: 'c' }],
      {
        sleep,
      },
    );
    await proxy.close();
    // Assess
    expect(result.failed).toStrictEqual([]);
    expect(result.sent.map((s) => s.index)).toStrictEqual([0, 1, 2]);
    expect(result.sent[0]?.messageId).toBe('first-try-id');
    expect(waits).toHaveLength(1);
    expect((await fq.receiveAll(url)).map((m) => m.Body).sort()).toStrictEqual(['b', 'c']);
  });

  it('retries a whole call that failed with a server error', async () => {
    // Prepare
    let calls = 0;
    const proxy = await startFaultProxy(
      fq.endpoint,
      (action): FaultDecision =>
        action === 'SendMessageBatch' && ++calls === 1
          ? { kind: 'respond', status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'boom' } }
          : { kind: 'forward' },
    );
    const url = await queue();
    const { waits, sleep } = noSleep();
    // Act
    const result = await sendMessages(fq.client({ endpoint: proxy.endpoint }), url, [{ body: 'x' }], { sleep });
    await proxy.close();
    // Assess
    expect(result.sent).toHaveLength(1);
    expect(waits).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it('gives up after maxAttempts with the last error and capped backoff', async () => {
    // Prepare
    const proxy = await startFaultProxy(
      fq.endpoint,
      (): FaultDecision => ({
        kind: 'respond',
        status: 503,
        body: { __type: 'com.amazonaws.sqs#ServiceUnavailable', message: 'down' },
      }),
    );
    const url = await queue();
    const { waits, sleep } = noSleep();
    // Act
    const result = await sendMessages(fq.client({ endpoint: proxy.endpoint }), url, [{ body: 'x' }], {
      sleep,
      maxAttempts: 6,
      baseDelayMs: 100,
      maxDelayMs: 400,
      random: () => 0.5,
    });
    await proxy.close();
    // Assess
    expect(result.sent).toStrictEqual([]);
    expect(result.failed).toStrictEqual([
      { index: 0, code: 'ServiceUnavailable', message: expect.stringContaining('gave up after 6 attempts') },
    ]);
    expect(waits).toStrictEqual([75, 150, 300, 300, 300]);
  });

  it('does not retry a call to a queue that does not exist', async () => {
    // Prepare
    const url = `${await queue()}-missing`;
    const { waits, sleep } = noSleep();
    // Act
    const result = await sendMessages(fq.sqs, url, [{ body: 'a' }, { body: 'b' }], { sleep });
    // Assess
    expect(result.failed.map((f) => [f.index, f.code])).toStrictEqual([
      [0, 'QueueDoesNotExist'],
      [1, 'QueueDoesNotExist'],
    ]);
    expect(waits).toStrictEqual([]);
  });

  it('fails a message larger than a whole batch without calling SQS', async () => {
    // Prepare
    const seen: string[] = [];
    const proxy = await startFaultProxy(fq.endpoint, (action) => {
      seen.push(action);
      return { kind: 'forward' };
    });
    const url = await queue();
    // Act
    const result = await sendMessages(fq.client({ endpoint: proxy.endpoint }), url, [{ body: 'x'.repeat(2000) }], {
      maxBatchBytes: 1000,
    });
    await proxy.close();
    // Assess
    expect(result.failed).toStrictEqual([{ index: 0, code: 'MessageTooLong', message: expect.any(String) }]);
    expect(seen).toStrictEqual([]);
  });
});

describe('sendToDlq', () => {
  let fq: Fauxqs;

  beforeAll(async () => {
    fq = await startFauxqs();
  });
  afterAll(async () => {
    await fq.close();
  });

  it('keeps the body and puts the reason in message attributes', async () => {
    // Prepare
    const dlq = await fq.createQueue('dlq-reason');
    const body = JSON.stringify(wireWith(ids(2)));
    // Act
    const messageId = await sendToDlq(new SqsQueueSender(fq.sqs), dlq, body, {
      code: 'ContinuationsExhausted',
      message: 'gave up after 8 continuations',
      source: 'msg-123',
    });
    // Assess
    const [received] = await fq.receiveAll(dlq);
    expect(received?.MessageId).toBe(messageId);
    expect(received?.Body).toBe(body);
    expect(received?.MessageAttributes).toStrictEqual({
      [DLQ_ATTRIBUTES.code]: { DataType: 'String', StringValue: 'ContinuationsExhausted' },
      [DLQ_ATTRIBUTES.reason]: { DataType: 'String', StringValue: 'gave up after 8 continuations' },
      [DLQ_ATTRIBUTES.source]: { DataType: 'String', StringValue: 'msg-123' },
    });
  });

  it('trims a huge reason so the message still fits beside a full body', async () => {
    // Prepare: a body at the queue limit minus the headroom, and a reason far above the headroom.
    const maxBytes = 8192;
    const dlq = await fq.createQueue('dlq-limit', { MaximumMessageSize: String(maxBytes) });
    const body = 'b'.repeat(maxBytes - ATTRIBUTE_HEADROOM_BYTES);
    // Act
    await sendToDlq(new SqsQueueSender(fq.sqs), dlq, body, {
      code: 'E'.repeat(500),
      message: '東'.repeat(5000),
      source: 's'.repeat(1000),
    });
    // Assess
    const [received] = await fq.receiveAll(dlq);
    expect(received?.Body).toBe(body);
    expect(utf8Bytes(received?.MessageAttributes?.[DLQ_ATTRIBUTES.reason]?.StringValue ?? '')).toBeLessThanOrEqual(
      1024,
    );
  });

  it('throws SqsSendError when the DLQ cannot take the message', async () => {
    // Act
    const act = sendToDlq(new SqsQueueSender(fq.sqs), `${fq.endpoint}/000000000000/nope`, 'x', {
      code: 'C',
      message: 'm',
    });
    // Assess
    await expect(act).rejects.toBeInstanceOf(SqsSendError);
    await expect(act).rejects.toMatchObject({ code: 'QueueDoesNotExist' });
  });
});

describe('bodies any SQS accepts', () => {
  let fq: Fauxqs;
  // fauxqs refuses characters above U+FFFF; SQS refuses U+FFFE, U+FFFF and lone surrogates.
  const hostile = entry('i-chars', [
    { key: '😀', value: 'v\uffff' },
    { key: 'k\ufffe', value: '\ud800' },
    { key: '所有者', value: '東京🗼' },
  ]);

  beforeAll(async () => {
    fq = await startFauxqs();
  });
  afterAll(async () => {
    await fq.close();
  });

  it('refuses the raw body, so the escaping below is what makes it through', async () => {
    // Prepare
    const url = await fq.createQueue('chars-raw');
    // Act
    const result = await sendMessages(fq.sqs, url, [{ body: JSON.stringify(wireWith([hostile])) }], { maxAttempts: 1 });
    // Assess
    expect(result.sent).toStrictEqual([]);
  });

  it('enqueues a sweep manifest with an emoji key and a U+FFFF value that parses back identical', async () => {
    // Prepare
    const url = await fq.createQueue('chars-enqueue');
    const wire = wireWith([hostile, entry('i-plain')]);
    // Act
    const [result] = await enqueueManifests([wire], {
      queue: new SqsQueueSender(fq.sqs),
      queueUrl: url,
      maxMessageBytes: 262_144,
    });
    // Assess
    expect(result?.failures).toStrictEqual([]);
    const [received] = await fq.receiveAll(url);
    expect(received?.Body).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(received?.Body ?? '')).toStrictEqual(wire);
  });

  it.each([
    ['a continuation to the work queue', 0, 'work'],
    ['exhausted work to the dead-letter queue', 3, 'dlq'],
  ] as const)('hands on %s with its remaining tags intact', async (_name, attempt, target) => {
    // Prepare
    const queueUrl = await fq.createQueue(`chars-work-${attempt}`);
    const dlqUrl = await fq.createQueue(`chars-dlq-${attempt}`);
    const manifest = parseManifest(sqsBody(wireWith([hostile], attempt ? { continuation: { attempt } } : {})));
    const [planned] = manifest.resources;
    const unfinished: UnfinishedResult = {
      key: 'cn-hangzhou/instance/i-chars',
      regionId: 'cn-hangzhou',
      resourceType: 'instance',
      resourceId: 'i-chars',
      status: 'unfinished',
      unfinishedReason: 'deadline',
      removed: [],
      remaining: planned?.tags ?? [],
      calls: 0,
      attempts: 0,
      throttles: 0,
      requestIds: [],
      durationMs: 0,
    };
    // Act
    const handoff = await handOff(manifest, [unfinished], 'source-1', {
      queue: new SqsQueueSender(fq.sqs),
      queueUrl,
      dlqUrl,
      maxContinuations: 2,
      maxMessageBytes: 262_144,
      madeProgress: false,
    });
    // Assess
    expect(handoff.failure).toBeUndefined();
    const [received] = await fq.receiveAll(target === 'work' ? queueUrl : dlqUrl);
    expect(parseManifest(received?.Body ?? '').resources).toStrictEqual(manifest.resources);
  });
});
