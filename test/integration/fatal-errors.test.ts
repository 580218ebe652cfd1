import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient, type EcsClientOptions } from '../../lib/alibaba/client.ts';
import { type AlibabaCredentials, staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { ApiError } from '../../lib/core/errors.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { runManifests } from '../../lib/engine/run-manifests.ts';
import {
  capturingLogger,
  inventory,
  manifest,
  resource,
  startTestEcs,
  tagRecord,
  wireManifest,
} from '../support/ecs.ts';
import { type Fauxqs, startFauxqs } from '../support/fauxqs.ts';
import { lambdaContext as context } from '../support/lambda.ts';

// The emulator refuses a stale timestamp, a replayed nonce, a wrong secret and a wrong STS token. Each must
// stop the whole run as a fatal error that says what is wrong, after a handful of requests at most, however
// many resources are waiting.

const STS: Required<AlibabaCredentials> = {
  accessKeyId: 'STS.fatal-test-id',
  accessKeySecret: 'fatal-test-secret',
  securityToken: 'fatal-test-token',
};
const RESOURCES = 40;
const CONCURRENCY = 8;
// The probe call, then at most two windows of concurrent calls (a first answer and one retry each):
// a bound set by the concurrency cap, never by RESOURCES × attempts.
const MAX_REQUESTS = 1 + 2 * CONCURRENCY;
const TWENTY_MINUTES_MS = 20 * 60 * 1000;

let emulator: RunningEmulator;
let fauxqs: Fauxqs;
beforeAll(async () => {
  emulator = await startTestEcs(
    inventory(...Array.from({ length: RESOURCES }, (_, i) => resource(`d-${i}`, tagRecord(3)))),
    {
      accounts: [STS],
    },
  );
  fauxqs = await startFauxqs();
});
afterAll(async () => {
  await emulator?.close();
  await fauxqs?.close();
});
beforeEach(() => {
  emulator.replaceInventory(
    inventory(...Array.from({ length: RESOURCES }, (_, i) => resource(`d-${i}`, tagRecord(3)))),
  );
  emulator.resetStats();
});

const entries = () => Array.from({ length: RESOURCES }, (_, i) => ({ resourceId: `d-${i}`, tags: [{ key: 'k0' }] }));

interface Case {
  readonly name: string;
  readonly client: Partial<EcsClientOptions>;
  readonly credentials: AlibabaCredentials;
  readonly code: string;
  readonly wording: RegExp;
}

const cases: Case[] = [
  {
    name: 'a clock 20 minutes slow (stale timestamp)',
    client: { now: () => Date.now() - TWENTY_MINUTES_MS },
    credentials: STS,
    code: 'InvalidTimeStamp.Expired',
    wording: /time stamp .* expired/i,
  },
  {
    name: 'a clock 20 minutes fast',
    client: { now: () => Date.now() + TWENTY_MINUTES_MS },
    credentials: STS,
    code: 'InvalidTimeStamp.Expired',
    wording: /time stamp .* expired/i,
  },
  {
    name: 'a wrong AccessKey secret',
    client: {},
    credentials: { ...STS, accessKeySecret: 'not-the-secret' },
    code: 'SignatureDoesNotMatch',
    wording: /signature .* not matched/i,
  },
  {
    name: 'a wrong STS token',
    client: {},
    credentials: { ...STS, securityToken: 'stale-token' },
    code: 'InvalidSecurityToken.Mismatch',
    wording: /SecurityToken mismatch/i,
  },
  {
    name: 'a nonce source that repeats itself (every request replays the first nonce)',
    client: { nonce: () => 'the-same-nonce-every-time' },
    credentials: STS,
    code: 'SignatureNonceUsed',
    wording: /nonce/i,
  },
];

describe('fatal authentication errors through the CLI engine (runManifests)', () => {
  it.each(cases)('stops the run on $name with a clear $code, after a handful of requests', async (c) => {
    // Prepare
    const { logger, records } = capturingLogger();
    const client = new EcsClient({
      endpoint: emulator.url,
      credentials: staticCredentials(c.credentials),
      requestTimeoutMs: 2000,
      ...c.client,
    });
    // Act
    const report = await runManifests([manifest(entries())], {
      client,
      logger,
      executor: {
        rate: new AdaptiveRateController({ maxQps: 10_000 }),
        concurrency: CONCURRENCY,
        maxAttempts: 6,
        requestTimeoutMs: 2000,
        baseDelayMs: 1,
        maxDelayMs: 5,
      },
    });
    client.close();
    // Assess: a fatal stop, worded by the API's code and message
    expect(report.fatal?.code).toBe(c.code);
    expect(report.fatal?.message).toMatch(c.wording);
    // The executor decides: a nonce refused twice in one run stops it, though one refusal alone is transient.
    expect(report.executor.stopped).toBe(true);
    const fatal = records().filter((r) => r.event === 'run.fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ level: 'error', error: { code: c.code } });
    // Assess: the API was not hammered, and the work not attempted is deferred, not lost
    expect(emulator.stats().requests).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(report.outcomes).toHaveLength(RESOURCES);
    expect(report.outcomes.filter((o) => o.outcome === 'deferred').length).toBeGreaterThanOrEqual(
      RESOURCES - MAX_REQUESTS,
    );
    expect(report.outcomes.every((o) => o.outcome === 'removed' || o.outcome === 'deferred')).toBe(true);
  });

  it('surfaces each refusal from the client as an ApiError carrying the code, the message and the RequestId', async () => {
    // Prepare: an emulator of its own, since requests a stopped run aborted may still land on the shared one
    const own = await startTestEcs(inventory(resource('d-0', tagRecord(3))), { accounts: [STS] });
    const request = {
      regionId: 'cn-hangzhou',
      resourceType: 'disk' as const,
      resourceId: 'd-0',
      tags: [{ key: 'k0' }],
    };
    const fixedNonce = `replayed-${randomUUID()}`;
    const stale = new EcsClient({
      endpoint: own.url,
      credentials: staticCredentials(STS),
      now: () => Date.now() - TWENTY_MINUTES_MS,
    });
    const replaying = new EcsClient({
      endpoint: own.url,
      credentials: staticCredentials(STS),
      nonce: () => fixedNonce,
    });
    const wrong = new EcsClient({
      endpoint: own.url,
      credentials: staticCredentials({ ...STS, accessKeySecret: 'nope' }),
    });
    // Act
    const staleError = await stale.removeTags(request).catch((e: unknown) => e);
    const first = await replaying.removeTags(request);
    const replayError = await replaying.removeTags(request).catch((e: unknown) => e);
    const wrongError = await wrong.removeTags(request).catch((e: unknown) => e);
    for (const c of [stale, replaying, wrong]) c.close();
    const requests = own.stats().requests;
    await own.close();
    // Assess
    const requestId = expect.stringMatching(/^[0-9A-F-]{36}$/);
    expect(first.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(staleError).toBeInstanceOf(ApiError);
    expect(staleError).toMatchObject({ code: 'InvalidTimeStamp.Expired', httpStatus: 400, requestId });
    expect(replayError).toBeInstanceOf(ApiError);
    expect(replayError).toMatchObject({
      code: 'SignatureNonceUsed',
      apiMessage: expect.stringMatching(/nonce was used already/),
      requestId,
    });
    expect(wrongError).toBeInstanceOf(ApiError);
    expect(wrongError).toMatchObject({ code: 'SignatureDoesNotMatch', httpStatus: 400, requestId });
    expect(requests).toBe(4);
  });
});

describe('fatal authentication errors through the SQS handler', () => {
  it.each(cases)('returns every record for redelivery on $name, logs one clear error, and stops calling', async (c) => {
    // Prepare
    const { queueUrl, dlqUrl } = await fauxqs.createQueuePair(`fatal-${randomUUID().slice(0, 8)}`);
    const { logger, records } = capturingLogger();
    const client = new EcsClient({
      endpoint: emulator.url,
      credentials: staticCredentials(c.credentials),
      requestTimeoutMs: 2000,
      ...c.client,
    });
    const handler = makeHandler({
      config: requireQueues(
        loadConfig({
          TAG_CLEANUP_QUEUE_URL: queueUrl,
          TAG_CLEANUP_DLQ_URL: dlqUrl,
          TAG_CLEANUP_CONCURRENCY: String(CONCURRENCY),
          TAG_CLEANUP_DEADLINE_MARGIN_MS: '1000',
        }),
      ),
      queue: new SqsQueueSender(fauxqs.sqs),
      client,
      rate: new AdaptiveRateController({ maxQps: 10_000 }),
      logger,
      sleep: async () => undefined,
    });
    const bodies = [0, 1].map((n) => JSON.stringify(wireManifest(entries(), { manifestId: `fatal-${n}` })));
    const event = {
      Records: bodies.map((body) => ({
        messageId: randomUUID(),
        receiptHandle: 'rh',
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'x',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work',
        awsRegion: 'us-east-1',
      })),
    };
    // Act
    const response = await handler(event, context());
    client.close();
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toStrictEqual(
      event.Records.map((r) => r.messageId).sort(),
    );
    const fatal = records().filter((r) => r.event === 'invocation.fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({
      level: 'error',
      error: { code: c.code, message: expect.stringMatching(c.wording) },
    });
    expect(emulator.stats().requests).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(await fauxqs.receiveAll(queueUrl)).toHaveLength(0);
    expect(await fauxqs.receiveAll(dlqUrl)).toHaveLength(0);
  });
});

describe('an unreachable endpoint through the CLI engine (runManifests)', () => {
  /** A port on 127.0.0.1 that was just listening and is closed now, so connecting to it is refused. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** A server on 127.0.0.1 that accepts every connection and never answers. */
  async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const close = async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    };
    return { port, close };
  }

  async function runAgainst(port: number, requestTimeoutMs: number) {
    const { logger, records } = capturingLogger();
    const client = new EcsClient({
      endpoint: `http://127.0.0.1:${port}`,
      credentials: staticCredentials(STS),
      requestTimeoutMs,
    });
    const report = await runManifests([manifest(entries())], {
      client,
      logger,
      executor: {
        rate: new AdaptiveRateController({ maxQps: 10_000 }),
        concurrency: CONCURRENCY,
        maxAttempts: 6,
        requestTimeoutMs,
        baseDelayMs: 1,
        maxDelayMs: 5,
      },
    });
    client.close();
    return { report, records };
  }

  it('stops on refused connections as EndpointUnreachable and defers every resource once', async () => {
    // Prepare
    const port = await closedPort();
    // Act
    const { report, records } = await runAgainst(port, 2000);
    // Assess
    expect(report.fatal).toMatchObject({ code: 'EndpointUnreachable', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(report.outcomes.map((o) => o.resourceId).sort()).toStrictEqual(
      entries()
        .map((e) => e.resourceId)
        .sort(),
    );
    expect(report.outcomes.every((o) => o.outcome === 'deferred')).toBe(true);
    expect(report.executor.stats.attempts).toBeLessThanOrEqual(MAX_REQUESTS);
    expect(records().filter((r) => r.event === 'run.fatal')).toMatchObject([
      { error: { code: 'EndpointUnreachable' } },
    ]);
  });

  it('stops on a server that never answers as EndpointUnreachable, after a bounded number of timeouts', async () => {
    // Prepare
    const silent = await silentServer();
    // Act
    const { report } = await runAgainst(silent.port, 200);
    await silent.close();
    // Assess
    expect(report.fatal).toMatchObject({ code: 'EndpointUnreachable', message: expect.stringMatching(/Timeout/) });
    expect(report.outcomes).toHaveLength(RESOURCES);
    expect(report.outcomes.every((o) => o.outcome === 'deferred')).toBe(true);
    // The probe alone, then one window of calls: the run never reaches the resources' retries.
    expect(report.executor.stats.attempts).toBeLessThanOrEqual(1 + 2 * CONCURRENCY);
  });
});
