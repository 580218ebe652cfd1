import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../../dev/emulator/defaults.ts';
import type { InventoryFile, RunningEmulator } from '../../dev/emulator/server.ts';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import type { BatchDeps } from '../../lib/lambda/batch.ts';
import { createLogger } from '../../lib/logger.ts';
import { startTestEmulator } from '../support/emulator.ts';
import { deadEndpoint, type Fauxqs, startFauxqs } from '../support/fauxqs.ts';
import { lambdaContext as context, sqsRecord as record } from '../support/lambda.ts';

const inventory: InventoryFile = {
  resources: [
    { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1', tags: { a: '1', b: '2', keep: 'x' } },
    {
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      resourceId: 'd-2',
      tags: { a: '1', t1: '1', t2: '2', t3: '3', t4: '4', t5: '5', t6: '6' },
    },
    { regionId: 'cn-hangzhou', resourceType: 'instance', resourceId: 'i-1', tags: { env: 'dev', owner: 'bob' } },
  ],
};

let emulator: RunningEmulator;
let fauxqs: Fauxqs;

beforeAll(async () => {
  emulator = await startTestEmulator({ inventory });
  fauxqs = await startFauxqs();
});
afterAll(async () => {
  await emulator?.close();
  await fauxqs?.close();
});
beforeEach(() => {
  emulator.replaceInventory(inventory);
  emulator.setFaults({});
  emulator.resetStats();
});

function manifestBody(resources: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    manifestId: `m-${randomUUID().slice(0, 8)}`,
    regionId: 'cn-hangzhou',
    resources,
    ...extra,
  });
}

interface Setup {
  readonly handler: ReturnType<typeof makeHandler>;
  readonly lines: Record<string, unknown>[];
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

async function setup(options: { queueUrl?: string } = {}): Promise<Setup> {
  const { queueUrl, dlqUrl } = await fauxqs.createQueuePair(`q-${randomUUID().slice(0, 8)}`);
  const lines: Record<string, unknown>[] = [];
  const config = requireQueues(
    loadConfig({
      TAG_CLEANUP_QUEUE_URL: options.queueUrl ?? queueUrl,
      TAG_CLEANUP_DLQ_URL: dlqUrl,
      TAG_CLEANUP_DEADLINE_MARGIN_MS: '1000',
      TAG_CLEANUP_MAX_ATTEMPTS: '2',
      TAG_CLEANUP_MAX_CONTINUATIONS: '3',
    }),
  );
  const deps: BatchDeps = {
    config,
    queue: new SqsQueueSender(fauxqs.sqs),
    client: new EcsClient({
      endpoint: emulator.url,
      credentials: staticCredentials({
        accessKeyId: EMULATOR_ACCESS_KEY_ID,
        accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
      }),
      requestTimeoutMs: 2000,
    }),
    rate: new AdaptiveRateController({ maxQps: 1000 }),
    logger: createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }),
    sleep: async () => undefined, // backoff waits are not what these tests are about
  };
  return { handler: makeHandler(deps), lines, queueUrl, dlqUrl };
}

const outcomes = (lines: Record<string, unknown>[]) => lines.filter((l) => l.event === 'resource.outcome');

describe('cleanup handler', () => {
  it('removes the tags of every manifest in the batch and reports no failures', async () => {
    // Prepare
    const { handler, lines } = await setup();
    const records = [
      record(
        manifestBody([{ resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'a' }, { key: 'b', value: '2' }] }]),
      ),
      record(manifestBody([{ resourceType: 'instance', resourceId: 'i-1', tags: [{ key: 'env' }] }])),
    ];
    // Act
    const response = await handler({ Records: records }, context(30_000));
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ keep: 'x' });
    expect(emulator.getTags('cn-hangzhou', 'instance', 'i-1')).toStrictEqual({ owner: 'bob' });
    expect(outcomes(lines).map((l) => l.outcome)).toStrictEqual(['removed', 'removed']);
    expect(new Set(outcomes(lines).map((l) => l.messageId))).toStrictEqual(new Set(records.map((r) => r.messageId)));
  });

  it('dead-letters a poison message with its body unchanged and the reason, and still runs the rest', async () => {
    // Prepare
    const { handler, lines, dlqUrl } = await setup();
    const poison = record('{"version":1,"manifestId":"p","regionId":"cn-hangzhou","resources":"nope"}');
    const notJson = record('this is not json');
    const good = record(manifestBody([{ resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    // Act
    const response = await handler({ Records: [poison, notJson, good] }, context(30_000));
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    const dead = await fauxqs.receiveAll(dlqUrl);
    expect(dead.map((m) => m.Body).sort()).toStrictEqual([poison.body, notJson.body].sort());
    for (const message of dead) {
      expect(message.MessageAttributes?.['tagCleanup.code']?.StringValue).toBe('InvalidManifest');
      expect(message.MessageAttributes?.['tagCleanup.reason']?.StringValue).toMatch(/resources|JSON/);
    }
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ b: '2', keep: 'x' });
    expect(lines.filter((l) => l.event === 'message.poison')).toHaveLength(2);
  });

  it('hands work not started before the deadline to a continuation with exactly the remaining tags', async () => {
    // Prepare: no remaining time, so the deadline has already passed
    const { handler, lines, queueUrl } = await setup();
    const original = record(
      manifestBody([
        { resourceType: 'disk', resourceId: 'd-2', tags: ['t1', 't2', 't3', 't4', 't5', 't6'].map((key) => ({ key })) },
      ]),
    );
    // Act
    const response = await handler({ Records: [original] }, context(0));
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    expect(emulator.stats().requests).toBe(0);
    const [continuation, ...others] = await fauxqs.receiveAll(queueUrl);
    expect(others).toHaveLength(0);
    const body = JSON.parse(continuation?.Body ?? '{}');
    expect(body.continuation).toMatchObject({ attempt: 1, sourceMessageId: original.messageId });
    expect(body.manifestId).toBe(JSON.parse(original.body).manifestId);
    expect(body.resources).toStrictEqual([
      { resourceType: 'disk', resourceId: 'd-2', tags: ['t1', 't2', 't3', 't4', 't5', 't6'].map((key) => ({ key })) },
    ]);
    const [outcome] = outcomes(lines);
    expect(outcome).toMatchObject({ outcome: 'deferred', continuationMessageId: continuation?.MessageId });
  });

  it('reports the record as a failure when the continuation cannot be sent', async () => {
    // Prepare: the work queue URL points at a port that refuses every request
    const { handler } = await setup({ queueUrl: `${await deadEndpoint()}/000000000000/gone` });
    const original = record(manifestBody([{ resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    // Act
    const response = await handler({ Records: [original] }, context(0));
    // Assess
    expect(response.batchItemFailures).toStrictEqual([{ itemIdentifier: original.messageId }]);
  });
});
