import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryFile, InventoryResource } from '../../dev/emulator/server.ts';
import { type LocalStack, startLocalStack } from '../../dev/local/stack.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { makeBatchHandler, type SqsBatchHandler } from '../../lib/lambda/batch.ts';
import { createLogger } from '../../lib/logger.ts';

const run = promisify(execFile);

const POLICY = `version: 1
name: e2e-sweep
regions: [cn-hangzhou, cn-shanghai]
resourceTypes: [instance, disk]
keepOnly: [owner, env, cost-center]
remove:
  - key: env
    values: [legacy]
protect:
  - key: "tag-cleanup:protect"
    value: "true"
exclude:
  resourceIds: [d-h-excluded]
maxResources: 500
`;

const KEPT_KEYS = new Set(['owner', 'env', 'cost-center']);

/**
 * 40 disks in cn-hangzhou and 40 instances in cn-shanghai, each with tags the policy keeps and some it
 * removes; every tenth protected, one excluded, system tags on all; snapshots and cn-beijing out of scope.
 */
function seed(): InventoryFile {
  const tagsOf = (i: number): Record<string, string> => ({
    owner: `o${i % 3}`,
    env: i % 4 === 0 ? 'legacy' : 'prod',
    [`tmp-${i % 5}`]: `t${i}`,
    ...(i % 2 === 0 && { 'ci-run': String(1000 + i) }),
    ...(i % 3 === 0 && { 'cost-center': 'cc-1' }),
    ...(i % 10 === 0 && { 'tag-cleanup:protect': 'true' }),
    ...(i % 10 === 5 && { 'tag-cleanup:protect': 'false' }),
    'acs:rm:rgId': 'rg-e2e',
  });
  const resources: InventoryResource[] = [];
  for (let i = 0; i < 40; i++) {
    resources.push({ regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: `d-h${i}`, tags: tagsOf(i) });
    resources.push({ regionId: 'cn-shanghai', resourceType: 'instance', resourceId: `i-s${i}`, tags: tagsOf(i) });
  }
  resources.push(
    { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-h-excluded', tags: tagsOf(1) },
    { regionId: 'cn-hangzhou', resourceType: 'snapshot', resourceId: 's-h1', tags: tagsOf(1) },
    { regionId: 'cn-beijing', resourceType: 'disk', resourceId: 'd-b1', tags: tagsOf(1) },
  );
  return { resources };
}

/** The policy's intent, written independently of the matcher: the tags each resource keeps. */
function intended(resource: InventoryResource): Record<string, string> {
  const inScope =
    ['cn-hangzhou', 'cn-shanghai'].includes(resource.regionId) &&
    ['instance', 'disk'].includes(resource.resourceType) &&
    resource.resourceId !== 'd-h-excluded' &&
    resource.tags['tag-cleanup:protect'] !== 'true';
  if (!inScope) return resource.tags;
  return Object.fromEntries(
    Object.entries(resource.tags).filter(
      ([key, value]) =>
        key.startsWith('acs:') ||
        key === 'tag-cleanup:protect' ||
        (KEPT_KEYS.has(key) && !(key === 'env' && value === 'legacy')),
    ),
  );
}

let stack: LocalStack;
let dir: string;
const handlerLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-sweep-e2e-'));
  let handler: SqsBatchHandler | undefined;
  stack = await startLocalStack({
    inventory: seed(),
    listPageSize: 7,
    // Small messages, so the sweep's two manifests are split into several.
    maxMessageBytes: 4096,
    visibilityTimeoutSeconds: 10,
    poller: {
      functionTimeoutMs: 8000,
      batchSize: 5,
      handler: (event, context) => {
        if (!handler) throw new Error('not ready');
        return handler(event, context);
      },
    },
  });
  handler = makeBatchHandler({
    config: requireQueues(loadConfig({ ...stack.env })),
    queue: new SqsQueueSender(stack.sqs),
    client: new EcsClient({
      endpoint: stack.emulator.url,
      credentials: staticCredentials(stack.credentials),
      requestTimeoutMs: 2000,
    }),
    rate: new AdaptiveRateController({ maxQps: 200 }),
    logger: createLogger({
      level: 'info',
      destination: { write: (l: string) => void handlerLines.push(JSON.parse(l)) },
    }),
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('end to end: sweep --enqueue → SQS → poller → handler → ECS emulator', () => {
  it("leaves the emulator's tags equal to the policy's intent, each resource removed once", async () => {
    // Prepare
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, POLICY);
    const before = stack.emulator.snapshot();

    // Act: the real CLI lists and enqueues; the poller drains the queue through the cleanup handler
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'handlers/cli.ts', 'sweep', '--policy', policy, '--enqueue', '--queue-url', stack.queueUrl],
      { env: { ...process.env, ...stack.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } },
    ).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`sweep --enqueue failed: ${e.stdout} ${e.stderr}`);
    });
    await stack.poller?.runUntilIdle({ timeoutMs: 60_000, idleMs: 1000 });

    // Assess: the CLI listed, changed nothing itself, and enqueued both regions' manifests in several messages
    const records = cli.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The poller runs all along, so the CLI's own lines are the proof that it removed nothing itself.
    expect(records.filter((r) => r.event === 'resource.outcome')).toStrictEqual([]);
    // 36 of each region's 40 change (every tenth is protected); the excluded disk is a 41st.
    expect(records.at(-1)).toMatchObject({
      event: 'sweep.summary',
      complete: true,
      resourcesMatched: 72,
      protectedSkipped: 8,
      excludedSkipped: 1,
      manifests: 2,
    });
    const enqueued = records.filter((r) => r.event === 'sweep.manifest.enqueued');
    expect(enqueued).toHaveLength(2);
    expect(enqueued.flatMap((r) => r.messageIds as string[]).length).toBeGreaterThan(2);

    // Assess: the final state is the policy's intent, resource by resource
    const after = new Map(stack.emulator.snapshot().resources.map((r) => [r.resourceId, r.tags]));
    for (const resource of before.resources) {
      expect(after.get(resource.resourceId), resource.resourceId).toStrictEqual(intended(resource));
    }

    // Assess: one removed outcome per changed resource, each carrying the sweep's origin to its manifest
    const outcomes = handlerLines.filter((l) => l.event === 'resource.outcome');
    const removed = outcomes.filter((o) => o.outcome === 'removed').map((o) => String(o.resourceId));
    expect(new Set(removed).size).toBe(removed.length);
    expect(removed).toHaveLength(72);
    expect(outcomes.filter((o) => o.outcome !== 'removed')).toStrictEqual([]);
    const summaries = handlerLines.filter((l) => l.event === 'manifest.summary');
    expect(summaries.every((s) => (s.origin as { policy?: string } | undefined)?.policy === 'e2e-sweep')).toBe(true);

    // Assess: both queues are empty
    const work = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 10 }));
    const dead = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.dlqUrl, MaxNumberOfMessages: 10 }));
    expect(work.Messages ?? []).toHaveLength(0);
    expect(dead.Messages ?? []).toHaveLength(0);
  }, 90_000);
});
