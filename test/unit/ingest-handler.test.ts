import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadIngestConfig } from '../../lib/config.ts';
import { ingestTokenSource } from '../../lib/lambda/ingest-auth.ts';
import { type IngestDeps, makeIngestHandler, makeMisconfiguredIngestHandler } from '../../lib/lambda/ingest-handler.ts';
import { MAX_INGEST_BODY_BYTES } from '../../lib/lambda/ingest-request.ts';
import { createLogger } from '../../lib/logger.ts';
import { FakeQueue } from '../support/fakes/queue.ts';
import { leaks } from '../support/leaks.ts';

const TOKEN = 'tok-9f8e7d6c5b4a';
const EVENTS_QUEUE = 'http://127.0.0.1:1/000000000000/events';

interface RequestOptions {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly isBase64Encoded?: boolean;
}

/** A Function URL request (payload format 2.0) carrying the right token unless headers say otherwise. */
function request(options: RequestOptions = {}): LambdaFunctionURLEvent {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: options.headers ?? { 'content-type': 'application/json', 'x-tag-cleanup-token': TOKEN },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'ingest',
      domainName: 'ingest.lambda-url.example',
      domainPrefix: 'ingest',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'eventbridge' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '30/Nov/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    ...(options.body !== undefined && { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A valid CloudEvent; `data` is free-form. */
function cloudEvent(id: string, data: unknown = { resourceId: 'i-bp1web01' }): Record<string, unknown> {
  return { specversion: '1.0', id, source: 'acs.ecs', type: 'ecs:Instance:StateChange', data };
}

/** A one-event body of exactly `bytes` UTF-8 bytes. */
function bodyOfSize(bytes: number): string {
  const empty = JSON.stringify(cloudEvent('sized', ''));
  return JSON.stringify(cloudEvent('sized', 'x'.repeat(bytes - Buffer.byteLength(empty))));
}

/** The handler over an in-memory queue and captured log lines; the clock moves 5 ms per reading. */
function setup(overrides: Partial<IngestDeps> = {}) {
  const queue = new FakeQueue();
  const lines: string[] = [];
  let nowMs = 1_000;
  const deps: IngestDeps = {
    token: async () => TOKEN,
    queue,
    eventsQueueUrl: EVENTS_QUEUE,
    logger: createLogger({ destination: { write: (line: string) => void lines.push(line) } }),
    now: () => (nowMs += 5),
    ...overrides,
  };
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { handle: makeIngestHandler(deps), queue, lines, logs };
}

describe('ingest handler: authentication', () => {
  it.each([
    ['a wrong token', { 'x-tag-cleanup-token': 'tok-guess' }, 'token-wrong'],
    ['no token', { 'content-type': 'application/json' }, 'token-missing'],
  ])('answers %s with 401, no hint, and nothing enqueued', async (_what, headers, reason) => {
    // Prepare
    const { handle, queue, logs } = setup();
    // Act
    const response = await handle(request({ headers, body: JSON.stringify(cloudEvent('e1')) }));
    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toStrictEqual({ message: 'unauthorized' });
    expect(queue.sends).toHaveLength(0);
    expect(logs()).toMatchObject([{ msg: 'ingest.request', status: 401, reason }]);
  });

  it('matches the header name whatever its case', async () => {
    // Prepare
    const { handle } = setup();
    // Act
    const response = await handle(
      request({ headers: { 'X-Tag-Cleanup-Token': TOKEN }, body: JSON.stringify(cloudEvent('e1')) }),
    );
    // Assess
    expect(response.statusCode).toBe(202);
  });

  it.each([
    ['wrong method', { method: 'GET' }],
    ['oversized body', { body: bodyOfSize(MAX_INGEST_BODY_BYTES + 1) }],
    ['body that is not JSON', { body: 'nope' }],
  ])('checks the token before a %s', async (_what, options) => {
    // Prepare
    const { handle } = setup();
    // Act
    const response = await handle(request({ ...options, headers: { 'x-tag-cleanup-token': 'wrong' } }));
    // Assess
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ['empty', { TAG_CLEANUP_INGEST_TOKEN: '' }],
    ['unset', {}],
  ])('answers 500 to everyone when the token is %s, and logs ingest.misconfigured', async (_what, env) => {
    // Prepare
    const config = loadIngestConfig({ TAG_CLEANUP_EVENTS_QUEUE_URL: EVENTS_QUEUE, ...env });
    const { handle, queue, logs } = setup({ token: ingestTokenSource(config) });
    // Act
    const withEmpty = await handle(request({ headers: { 'x-tag-cleanup-token': '' }, body: '{}' }));
    const without = await handle(request({ headers: {}, body: JSON.stringify(cloudEvent('e1')) }));
    // Assess
    expect([withEmpty.statusCode, without.statusCode]).toStrictEqual([500, 500]);
    expect(JSON.parse(without.body)).toStrictEqual({ message: 'internal error' });
    expect(queue.sends).toHaveLength(0);
    expect(logs().filter((l) => l.msg === 'ingest.misconfigured')).toHaveLength(2);
    expect(
      logs()
        .filter((l) => l.msg === 'ingest.request')
        .map((l) => l.status),
    ).toStrictEqual([500, 500]);
  });

  it('reads the token once across invocations', async () => {
    // Prepare
    let reads = 0;
    const { handle } = setup({
      token: async () => {
        reads += 1;
        return TOKEN;
      },
    });
    // Act
    for (let i = 0; i < 3; i++) await handle(request({ body: JSON.stringify(cloudEvent(`e${i}`)) }));
    // Assess
    expect(reads).toBe(1);
  });

  it('answers 500 from the misconfigured handler and logs why', async () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
    const handle = makeMisconfiguredIngestHandler(logger, () => 0, 'TAG_CLEANUP_EVENTS_QUEUE_URL is missing');
    // Act
    const response = await handle(request({ body: JSON.stringify(cloudEvent('e1')) }));
    // Assess
    expect(response.statusCode).toBe(500);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { msg: 'ingest.misconfigured', reason: 'TAG_CLEANUP_EVENTS_QUEUE_URL is missing' },
      { msg: 'ingest.request', status: 500 },
    ]);
  });
});

describe('ingest handler: the request', () => {
  it('refuses a method other than POST with 405 and Allow: POST', async () => {
    // Prepare
    const { handle } = setup();
    // Act
    const response = await handle(request({ method: 'GET' }));
    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });

  it.each([
    ['plain', false],
    ['base64', true],
  ])('accepts a %s body of exactly 262,144 bytes and refuses one byte more', async (_what, base64) => {
    // Prepare
    const { handle, queue } = setup();
    const encode = (text: string) => (base64 ? Buffer.from(text).toString('base64') : text);
    // Act
    const atLimit = await handle(request({ body: encode(bodyOfSize(262_144)), isBase64Encoded: base64 }));
    const over = await handle(request({ body: encode(bodyOfSize(262_145)), isBase64Encoded: base64 }));
    // Assess
    expect([atLimit.statusCode, over.statusCode]).toStrictEqual([202, 413]);
    expect(queue.messages(EVENTS_QUEUE)).toHaveLength(1);
    expect(Buffer.byteLength(queue.messages(EVENTS_QUEUE)[0]?.body ?? '')).toBe(262_144);
  });

  it.each([
    ['text that is not JSON', { body: '{"specversion":' }, 'body is not UTF-8 JSON'],
    [
      'bytes that are not UTF-8',
      { body: Buffer.from([0xff, 0xfe]).toString('base64'), isBase64Encoded: true },
      'UTF-8',
    ],
    ['no body', {}, 'body is not UTF-8 JSON'],
    ['an empty array', { body: '[]' }, 'must hold at least one CloudEvent'],
    ['a number', { body: '42' }, 'must be a CloudEvent object or an array of them'],
    ['an event without a type', { body: '{"specversion":"1.0","id":"a","source":"s"}' }, 'type: required'],
  ])('answers %s with 400 naming the problem', async (_what, options, message) => {
    // Prepare
    const { handle, queue } = setup();
    // Act
    const response = await handle(request(options));
    // Assess
    expect(response.statusCode).toBe(400);
    expect((JSON.parse(response.body) as { message: string }).message).toContain(message);
    expect(queue.sends).toHaveLength(0);
  });

  it('refuses a whole batch when one event is invalid, and enqueues none of it', async () => {
    // Prepare
    const { handle, queue } = setup();
    const batch = [cloudEvent('e0'), cloudEvent('e1'), { ...cloudEvent('e2'), source: undefined }];
    // Act
    const response = await handle(request({ body: JSON.stringify(batch) }));
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toStrictEqual({ message: '[2].source: required' });
    expect(queue.sends).toHaveLength(0);
  });
});

describe('ingest handler: enqueueing', () => {
  it('enqueues each event of a batch as its own message and answers 202 with the count', async () => {
    // Prepare
    const { handle, queue } = setup();
    const batch = [cloudEvent('e0'), cloudEvent('e1'), cloudEvent('e2')];
    // Act
    const response = await handle(request({ body: JSON.stringify(batch) }));
    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toStrictEqual({ accepted: 3 });
    expect(queue.bodies(EVENTS_QUEUE)).toStrictEqual(batch);
  });

  it('enqueues a single event exactly as it was posted', async () => {
    // Prepare
    const { handle, queue } = setup();
    const text = '{ "specversion": "1.0", "id": "e1", "source": "acs.ecs", "type": "t", "data": { "n": 1.50 } }';
    // Act
    await handle(request({ body: text }));
    // Assess
    expect(queue.messages(EVENTS_QUEUE).map((m) => m.body)).toStrictEqual([text]);
  });

  it.each([
    ['reports every message failed', { code: 'ServiceUnavailable' }],
    ['throws', { throws: true }],
  ])('answers 503 when the queue send %s, and logs sent and failed counts', async (_what, rule) => {
    // Prepare
    const { handle, queue, logs } = setup();
    queue.fail(rule);
    // Act
    const response = await handle(request({ body: JSON.stringify([cloudEvent('e0'), cloudEvent('e1')]) }));
    // Assess
    expect(response.statusCode).toBe(503);
    expect(logs()).toMatchObject([{ msg: 'ingest.request', status: 503, events: 2, sent: 0, failed: 2 }]);
  });
});

describe('ingest handler: logging', () => {
  it('writes one ingest.request line with status, count, source address and duration', async () => {
    // Prepare
    const { handle, logs } = setup();
    // Act
    await handle(request({ body: JSON.stringify([cloudEvent('e0'), cloudEvent('e1')]) }));
    // Assess
    expect(logs()).toMatchObject([
      { msg: 'ingest.request', level: 'info', status: 202, events: 2, sourceIp: '203.0.113.7', durationMs: 5 },
    ]);
  });

  it('never logs the token, the headers or the body', async () => {
    // Prepare
    const { handle, lines } = setup();
    const marker = 'body-marker-5a1f';
    const body = JSON.stringify(cloudEvent('e0', { note: marker }));
    // Act
    await handle(request({ body }));
    await handle(request({ body: `${body}!` }));
    await handle(request({ body, headers: { 'x-tag-cleanup-token': `${TOKEN}x`, 'user-agent': 'ua-marker' } }));
    await handle(request({ body: JSON.stringify([{ ...cloudEvent('e1', { note: marker }), id: 7 }]) }));
    // Assess
    const output = lines.join('\n');
    expect(lines).toHaveLength(4);
    expect(leaks(output, [TOKEN, marker, 'ua-marker'])).toStrictEqual([]);
  });
});
