import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadSweepConfig } from '../../lib/config.ts';
import { ConfigError, CredentialsError, PolicyError, SqsSendError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { parsePolicy } from '../../lib/core/policy/parse-policy.ts';
import type { InventoryClient, RemoveTagsClient } from '../../lib/core/ports.ts';
import { makeSweepHandler, type SweepDeps } from '../../lib/lambda/sweep-handler.ts';
import { capturingLogger } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { FakeEcsClient } from '../support/fakes/ecs-client.ts';
import { FakeInventoryClient, type FakeInventoryResource } from '../support/fakes/inventory-client.ts';
import { FakeQueue } from '../support/fakes/queue.ts';
import { lambdaContext } from '../support/lambda.ts';

const QUEUE = 'https://sqs.test/000000000000/work';

const policyText = (maxResources = 100) => `version: 1
name: no-tmp
regions: [cn-hangzhou, cn-shanghai]
resourceTypes: [instance, disk]
remove:
  - key: tmp
  - keyPrefix: "ci-"
protect:
  - key: "tag-cleanup:protect"
    value: "true"
exclude:
  resourceIds: [d-keep]
maxResources: ${maxResources}
`;

const at = (
  regionId: string,
  resourceType: FakeInventoryResource['resourceType'],
  resourceId: string,
  tags: Record<string, string>,
): FakeInventoryResource => ({ regionId, resourceType, resourceId, tags });

const ACCOUNT: FakeInventoryResource[] = [
  at('cn-hangzhou', 'disk', 'd-1', { tmp: '1', owner: 'a' }),
  at('cn-hangzhou', 'disk', 'd-2', { tmp: '2', 'tag-cleanup:protect': 'true' }),
  at('cn-hangzhou', 'disk', 'd-keep', { tmp: '3' }),
  at('cn-hangzhou', 'instance', 'i-1', { 'ci-run': '42', 'ci-job': 'x', env: 'prod', 'acs:sys': 'y' }),
  at('cn-hangzhou', 'snapshot', 's-1', { tmp: '1' }),
  at('cn-shanghai', 'instance', 'i-2', { tmp: '😀' }),
  at('cn-shanghai', 'disk', 'd-3', { owner: 'b' }),
];

/** What the policy means for {@link ACCOUNT}: region → resource id → tags to remove, as key=value. */
const INTENT = {
  'cn-hangzhou': { 'd-1': ['tmp=1'], 'i-1': ['ci-job=x', 'ci-run=42'] },
  'cn-shanghai': { 'i-2': ['tmp=😀'] },
};

interface SetUpOptions {
  readonly policy?: string;
  readonly rowsPerPage?: number;
  readonly latencyMs?: number;
  readonly env?: Record<string, string>;
  /** Read the policy file the config names, through the real loader. @default false */
  readonly readPolicyFile?: boolean;
}

/** A sweep invocation in memory: the account, the work queue, the clock and the log. */
function setUp(resources: FakeInventoryResource[], options: SetUpOptions = {}) {
  const clock = fakeClock();
  const listing = new FakeInventoryClient(resources, {
    rowsPerPage: options.rowsPerPage ?? 2,
    ...(options.latencyMs !== undefined && { latency: { ms: options.latencyMs, sleep: clock.sleep } }),
  });
  // The production client serves RemoveTags too; the sweep must never use it.
  const removals = new FakeEcsClient();
  const inventory: InventoryClient & RemoveTagsClient = {
    describeTags: (r, o) => listing.describeTags(r, o),
    listTagResources: (r, o) => listing.listTagResources(r, o),
    removeTags: (r, o) => removals.removeTags(r, o),
  };
  const queue = new FakeQueue();
  const { logger, records } = capturingLogger('debug');
  const config = loadSweepConfig({
    TAG_CLEANUP_QUEUE_URL: QUEUE,
    TAG_CLEANUP_POLICY_FILE: 'policies/test.yaml',
    LAMBDA_TASK_ROOT: '/var/task',
    TAG_CLEANUP_MAX_ATTEMPTS: '2',
    TAG_CLEANUP_MAX_QPS: '1000',
    ...options.env,
  });
  const deps: SweepDeps = {
    config,
    inventory,
    queue,
    logger,
    ...(options.readPolicyFile !== true && {
      loadPolicy: async (path: string) => parsePolicy(options.policy ?? policyText(), path),
    }),
    now: clock.now,
    sleep: clock.sleep,
  };
  const invoke = (remainingMs = 60_000, more: Partial<SweepDeps> = {}) => {
    const context: Context = { ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs };
    return makeSweepHandler({ ...deps, ...more })({}, context);
  };
  const lines = (event: string) => records().filter((r) => r.event === event);
  return { listing, removals, queue, records, lines, invoke, config };
}

/** The enqueued manifests, read back through the parser, as region → resource id → key=value tags. */
function enqueuedIntent(queue: FakeQueue): Record<string, Record<string, string[]>> {
  const intent: Record<string, Record<string, string[]>> = {};
  for (const message of queue.messages(QUEUE)) {
    const manifest = parseManifest(message.body);
    for (const r of manifest.resources) {
      const region = intent[r.regionId] ?? {};
      region[r.resourceId] = r.tags.map((t) => `${t.key}=${t.value}`).sort();
      intent[r.regionId] = region;
    }
  }
  return intent;
}

describe('makeSweepHandler', () => {
  it("enqueues exactly the policy's intent, marked with its origin, and never removes a tag", async () => {
    // Prepare
    const { queue, removals, listing, lines, records, invoke } = setUp(ACCOUNT);
    // Act
    const summary = await invoke();
    // Assess
    expect(enqueuedIntent(queue)).toStrictEqual(INTENT);
    const origins = queue.messages(QUEUE).map((m) => parseManifest(m.body).origin);
    expect(origins).toStrictEqual([
      expect.objectContaining({ kind: 'sweep', policy: 'no-tmp' }),
      expect.objectContaining({ kind: 'sweep', policy: 'no-tmp' }),
    ]);
    expect(removals.calls).toStrictEqual([]);
    expect(listing.callsTo('DescribeTags').length).toBeGreaterThan(0);
    expect(lines('sweep.manifest.enqueued')).toHaveLength(2);
    expect(summary).toMatchObject({
      complete: true,
      incompletePartitions: [],
      resourcesMatched: 3,
      tagsMatched: 4,
      protectedSkipped: 1,
      excludedSkipped: 1,
      manifests: 2,
      refused: null,
    });
    expect(lines('sweep.summary')).toStrictEqual([expect.objectContaining({ ...summary, level: 'info' })]);
    expect(records().at(-1)?.event).toBe('sweep.summary');
  });

  it('stops listing at the deadline, enqueues what it found and says the sweep is incomplete', async () => {
    // Prepare: one hangzhou disk partition of 60 one-row pages at 100 ms a call; 5 s of invocation
    const many = Array.from({ length: 60 }, (_, i) => at('cn-hangzhou', 'disk', `d-${1000 + i}`, { tmp: 'x' }));
    const { queue, removals, lines, invoke } = setUp(
      [...many, ...ACCOUNT.filter((r) => r.regionId === 'cn-shanghai')],
      {
        rowsPerPage: 1,
        latencyMs: 100,
      },
    );
    // Act
    const summary = await invoke(5_000);
    // Assess
    expect(summary.complete).toBe(false);
    expect(summary.incompletePartitions).toStrictEqual(['cn-hangzhou/disk']);
    expect(enqueuedIntent(queue)).toStrictEqual({ 'cn-shanghai': INTENT['cn-shanghai'] });
    expect(summary.manifests).toBe(1);
    expect(removals.calls).toStrictEqual([]);
    // The last page was cut at the deadline (timed out), or never started.
    expect(lines('inventory.partition.incomplete')).toMatchObject([
      { error: { code: expect.stringMatching(/^(DeadlineExceeded|Timeout)$/) } },
    ]);
    // Fake time: listing stopped a third of the invocation early, leaving room to enqueue.
    expect(summary.durationMs).toBeLessThanOrEqual(5_000 - 5_000 / 3);
  });

  it('changes nothing when the brake refuses, and says why', async () => {
    // Prepare
    const { queue, lines, invoke } = setUp(ACCOUNT, { policy: policyText(2) });
    // Act
    const summary = await invoke();
    // Assess
    expect(queue.sends).toStrictEqual([]);
    expect(summary).toMatchObject({ refused: 'maxResources', resourcesMatched: 3, manifests: 0 });
    expect(lines('sweep.summary')).toMatchObject([{ level: 'warn', refused: 'maxResources' }]);
  });

  it('names a partition whose listing failed after its retries, and still enqueues the rest', async () => {
    // Prepare
    const { listing, queue, invoke } = setUp(ACCOUNT);
    listing.fail({
      api: 'ListTagResources',
      regionId: 'cn-shanghai',
      resourceType: 'instance',
      error: 'ServiceUnavailable',
    });
    // Act
    const summary = await invoke();
    // Assess
    expect(summary.complete).toBe(false);
    expect(summary.incompletePartitions).toStrictEqual(['cn-shanghai/instance']);
    expect(enqueuedIntent(queue)).toStrictEqual({ 'cn-hangzhou': INTENT['cn-hangzhou'] });
  });

  it('lists through throttling and counts it', async () => {
    // Prepare
    const { listing, queue, invoke } = setUp(ACCOUNT);
    listing.fail({ api: 'DescribeTags', regionId: 'cn-hangzhou', times: 1, error: 'Throttling.User' });
    // Act
    const summary = await invoke();
    // Assess
    expect(summary).toMatchObject({ complete: true, throttled: 1 });
    expect(enqueuedIntent(queue)).toStrictEqual(INTENT);
  });

  it('logs sweep.fatal with every issue and throws on a bad policy, listing nothing', async () => {
    // Prepare
    const { listing, queue, lines, invoke } = setUp(ACCOUNT, { policy: 'version: 2\nname: x\nregions: []\n' });
    // Act
    const act = invoke();
    // Assess
    await expect(act).rejects.toBeInstanceOf(PolicyError);
    const [fatal, ...others] = lines('sweep.fatal');
    expect(others).toStrictEqual([]);
    expect(fatal).toMatchObject({
      level: 'error',
      policyFile: '/var/task/policies/test.yaml',
      error: { code: 'PolicyError' },
      issues: expect.arrayContaining([expect.objectContaining({ path: 'version' })]),
    });
    expect(lines('sweep.summary')).toStrictEqual([]);
    expect(listing.calls).toStrictEqual([]);
    expect(queue.sends).toStrictEqual([]);
  });

  it('logs sweep.fatal and throws when the credentials cannot be read', async () => {
    // Prepare
    const { listing, lines, invoke } = setUp(ACCOUNT);
    const credentials = async () => Promise.reject(new CredentialsError('SSM parameter x could not be read'));
    // Act
    const act = invoke(60_000, { credentials });
    // Assess
    await expect(act).rejects.toBeInstanceOf(CredentialsError);
    expect(lines('sweep.fatal')).toMatchObject([{ error: { code: 'CredentialsError' } }]);
    expect(listing.calls).toStrictEqual([]);
  });

  it('writes the summary, then fails the invocation when manifests could not be enqueued', async () => {
    // Prepare
    const { queue, lines, invoke } = setUp(ACCOUNT);
    queue.fail({ code: 'KmsThrottled' });
    // Act
    const act = invoke();
    // Assess
    await expect(act).rejects.toBeInstanceOf(SqsSendError);
    expect(lines('sweep.manifest.failed')).toHaveLength(2);
    expect(lines('sweep.summary')).toMatchObject([{ manifests: 0, resourcesMatched: 3 }]);
  });

  it('reads the example policy shipped under policies/ through the real file loader', async () => {
    // Prepare
    const { queue, invoke } = setUp([], {
      env: { LAMBDA_TASK_ROOT: process.cwd(), TAG_CLEANUP_POLICY_FILE: 'policies/no-temporary-tags.yaml' },
      readPolicyFile: true,
    });
    // Act
    const summary = await invoke();
    // Assess
    expect(summary).toMatchObject({ policy: 'no-temporary-tags', complete: true, manifests: 0 });
    expect(queue.messages(QUEUE)).toStrictEqual([]);
  });
});

describe('loadSweepConfig', () => {
  const env = { TAG_CLEANUP_QUEUE_URL: QUEUE, LAMBDA_TASK_ROOT: '/var/task' };

  it('resolves the policy file under the package root', () => {
    // Act
    const config = loadSweepConfig({ ...env, TAG_CLEANUP_POLICY_FILE: './policies/a.yaml' });
    // Assess
    expect(config.policyFile).toBe('/var/task/policies/a.yaml');
    expect(config.queueUrl).toBe(QUEUE);
  });

  it.each([
    ['an absolute path', '/etc/passwd', /relative to the package root/],
    ['a Windows drive path', 'C:\\policies\\a.yaml', /relative to the package root/],
    ['a way out of the package', '../outside.yaml', /no '\.\.'/],
    ['a way out through a folder', 'policies/../../outside.yaml', /no '\.\.'/],
    ['a blank value', '  ', /needs TAG_CLEANUP_POLICY_FILE/],
  ])('refuses %s with a config error naming the variable', (_name, policyFile, reason) => {
    // Act
    const act = () => loadSweepConfig({ ...env, TAG_CLEANUP_POLICY_FILE: policyFile });
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/TAG_CLEANUP_POLICY_FILE/);
    expect(act).toThrow(reason);
  });

  it('needs the work queue', () => {
    // Act
    const act = () => loadSweepConfig({ LAMBDA_TASK_ROOT: '/var/task', TAG_CLEANUP_POLICY_FILE: 'p.yaml' });
    // Assess
    expect(act).toThrow(/needs TAG_CLEANUP_QUEUE_URL/);
  });
});
