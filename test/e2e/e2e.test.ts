import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryFile } from '../../dev/emulator/server.ts';
import { type LocalStack, startLocalStack } from '../../dev/local/stack.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { makeBatchHandler, type SqsBatchHandler } from '../../lib/lambda/batch.ts';
import { createLogger } from '../../lib/logger.ts';

const run = promisify(execFile);

// Twelve disks with ten tags each; the manifests below remove some, by key or by key and value.
const inventory: InventoryFile = {
  resources: [
    ...Array.from({ length: 12 }, (_, i) => ({
      regionId: 'cn-hangzhou',
      resourceType: 'disk' as const,
      resourceId: `d-e2e${i}`,
      tags: Object.fromEntries(Array.from({ length: 10 }, (_, t) => [`t${t}`, `v${t}`])),
    })),
    { regionId: 'cn-hangzhou', resourceType: 'image', resourceId: 'm-e2e-locked', tags: { a: '1' }, supported: false },
  ],
};

const removeEight = (id: string) => ({
  resourceType: 'disk',
  resourceId: id,
  tags: [
    ...Array.from({ length: 6 }, (_, t) => ({ key: `t${t}` })),
    { key: 't6', value: 'v6' },
    { key: 't7', value: 'nope' },
  ],
});

/** Before enqueueing: the 503 manifest's first pass fails, the deadline manifest cannot finish in one go. */
const manifests = {
  outage: {
    version: 1,
    manifestId: 'e2e-outage',
    regionId: 'cn-hangzhou',
    resources: [removeEight('d-e2e0'), removeEight('d-e2e1')],
  },
  long: {
    version: 1,
    manifestId: 'e2e-deadline',
    regionId: 'cn-hangzhou',
    resources: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => removeEight(`d-e2e${i}`)),
  },
  mixed: {
    version: 1,
    manifestId: 'e2e-mixed',
    regionId: 'cn-hangzhou',
    resources: [
      { resourceType: 'image', resourceId: 'm-e2e-locked', tags: [{ key: 'a' }] },
      { resourceType: 'disk', resourceId: 'd-e2e-missing', tags: [{ key: 'a' }] },
      { resourceType: 'Disk', resourceId: 'd-e2e0', tags: [{ key: 't9' }] },
    ],
  },
};

let stack: LocalStack;
let dir: string;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-e2e-'));
  let handler: SqsBatchHandler | undefined;
  stack = await startLocalStack({
    inventory,
    maxQps: 40,
    faults: { latencyMs: 20 },
    visibilityTimeoutSeconds: 5,
    poller: {
      // Short enough that the long manifest cannot finish in one invocation.
      functionTimeoutMs: 2500,
      batchSize: 10,
      handler: (event, context) => {
        if (!handler) throw new Error('not ready');
        return handler(event, context);
      },
    },
  });
  handler = makeBatchHandler({
    config: requireQueues(
      loadConfig({ ...stack.env, TAG_CLEANUP_DEADLINE_MARGIN_MS: '800', TAG_CLEANUP_MAX_ATTEMPTS: '2' }),
    ),
    queue: new SqsQueueSender(stack.sqs),
    client: new EcsClient({
      endpoint: stack.emulator.url,
      credentials: staticCredentials(stack.credentials),
      requestTimeoutMs: 1000,
    }),
    rate: new AdaptiveRateController({ maxQps: 10 }),
    logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }),
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('end to end: CLI enqueue → SQS → poller → handler → ECS emulator', () => {
  it('drains the queues with every removable tag gone, one final outcome per resource, poison dead-lettered', async () => {
    // Prepare: files for the CLI, a 503 outage at the start, and a poison message from another producer
    const files = await Promise.all(
      Object.entries(manifests).map(async ([name, body]) => {
        const path = join(dir, `${name}.json`);
        await writeFile(path, JSON.stringify(body));
        return path;
      }),
    );
    stack.emulator.setFaults({ errorRate: 1, latencyMs: 20 }, 3);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: '{"version": 2}' }));

    // Act: enqueue through the real CLI, end the outage after two seconds, run until idle
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'handlers/cli.ts', 'enqueue', ...files, '--queue-url', stack.queueUrl],
      {
        env: { ...process.env, ...stack.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
      },
    ).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`enqueue failed: ${e.stdout} ${e.stderr}`);
    });
    setTimeout(() => stack.emulator.setFaults({ latencyMs: 20 }), 2000);
    await stack.poller?.runUntilIdle({ timeoutMs: 90_000, idleMs: 1500 });

    // Assess: the CLI sent three messages
    expect(cli.stdout.trim().split('\n')).toHaveLength(3);

    // Assess: the emulator's final tags
    for (let i = 0; i < 12; i++) {
      expect(stack.emulator.getTags('cn-hangzhou', 'disk', `d-e2e${i}`)).toStrictEqual({
        t7: 'v7',
        t8: 'v8',
        t9: 'v9',
      });
    }
    expect(stack.emulator.getTags('cn-hangzhou', 'image', 'm-e2e-locked')).toStrictEqual({ a: '1' });

    // Assess: one final outcome per (manifest, resource); deferred ones were continued and then finished
    const outcomes = lines.filter((l) => l.event === 'resource.outcome');
    const finals = new Map<string, string[]>();
    for (const o of outcomes) {
      if (o.outcome === 'deferred') continue;
      const key = `${o.manifestId}/${o.resourceType}/${o.resourceId}`;
      finals.set(key, [...(finals.get(key) ?? []), String(o.outcome)]);
    }
    const expected = Object.values(manifests).flatMap((m) =>
      m.resources.map((r) => `${m.manifestId}/${r.resourceType}/${r.resourceId}`),
    );
    expect([...finals.keys()].sort()).toStrictEqual(expected.sort());
    for (const [key, list] of finals) expect(list, key).toHaveLength(1);
    expect(finals.get('e2e-mixed/image/m-e2e-locked')).toStrictEqual(['failed']);
    expect(finals.get('e2e-mixed/disk/d-e2e-missing')).toStrictEqual(['failed']);
    expect(finals.get('e2e-mixed/Disk/d-e2e0')).toStrictEqual(['rejected']);
    const deferred = outcomes.filter((o) => o.outcome === 'deferred');
    expect(deferred.map((o) => o.manifestId)).toEqual(expect.arrayContaining(['e2e-outage', 'e2e-deadline']));
    const deferredCodes = new Set(deferred.map((o) => (o.error as { code?: string } | undefined)?.code));
    expect(deferredCodes.has('DeadlineExceeded')).toBe(true);
    expect(deferredCodes.has('InternalError') || deferredCodes.has('ServiceUnavailable')).toBe(true);
    expect(deferred.every((o) => typeof o.continuationMessageId === 'string')).toBe(true);

    // Assess: nothing lost — every failure is permanent and names its code
    const failed = outcomes.filter((o) => o.outcome === 'failed' || o.outcome === 'partial');
    expect(failed.map((o) => (o.error as { code: string }).code).sort()).toStrictEqual([
      'InvalidResourceId.NotFound',
      'InvalidResourceId.NotSupported',
    ]);

    // Assess: the poison message is in the DLQ with its reason, and both queues are empty
    const dead = await stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toStrictEqual(['{"version": 2}']);
    expect(dead.Messages?.[0]?.MessageAttributes?.['tagCleanup.reason']?.StringValue).toMatch(/version/);
    const work = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10 }));
    expect(work.Messages ?? []).toHaveLength(0);
  }, 120_000);
});
