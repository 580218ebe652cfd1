import { describe, expect, it } from 'vitest';
import { type ChaosOptions, fullScenario } from '../../dev/chaos/chaos-options.ts';
import { expectedInventory, expectedPairs } from '../../dev/chaos/expected.ts';
import { runChaos } from '../../dev/chaos/harness.ts';
import type { LogRecord } from '../../dev/chaos/log-record.ts';
import { type RunObservation, verifyRun } from '../../dev/chaos/verify.ts';
import { buildWorkload } from '../../dev/chaos/workload.ts';
import type { ChaosEntry, ChaosTag, ExpectedOutcome, PoisonMessage, Workload } from '../../dev/chaos/workload-types.ts';
import type { InventoryResource } from '../../dev/emulator/server.ts';

// The `npm run chaos` scenario in miniature: the same faults and invariants, with fewer and smaller manifests,
// in-process handler containers (a crash instead of a SIGKILL) and shorter timeouts.
const small: ChaosOptions = {
  ...fullScenario(5, 10, 2),
  workload: {
    manifests: 10,
    maxResourcesPerManifest: 20,
    missingShare: 0.05,
    unsupportedShare: 0.05,
    rejectedShare: 0.03,
  },
  mode: 'inline',
  maxQps: 300,
  throttleBursts: { everyMs: 2_000, durationMs: 300, factor: 0.1 },
  visibilityTimeoutSeconds: 2,
  functionTimeoutMs: 4_000,
  batchSize: 3,
  cut: { rate: 0.3, minMs: 1_000, maxMs: 1_500 },
  crashAfterMs: 0,
  handlerEnv: {
    TAG_CLEANUP_REQUEST_TIMEOUT_MS: '400',
    TAG_CLEANUP_DEADLINE_MARGIN_MS: '600',
    TAG_CLEANUP_MAX_CONTINUATIONS: '50',
    TAG_CLEANUP_CONCURRENCY: '16',
    // More attempts than the default, so that a throttle burst does not end in a continuation's backoff delay.
    TAG_CLEANUP_MAX_ATTEMPTS: '10',
    TAG_CLEANUP_LOG_LEVEL: 'info',
  },
  timeLimitMs: 14_000,
  idleMs: 600,
};

// Hand-made workloads: one manifest `m`, disks in cn-hangzhou.
const disk = (resourceId: string, tags: Record<string, string>, supported = true): InventoryResource => ({
  regionId: 'cn-hangzhou',
  resourceType: 'disk',
  resourceId,
  tags,
  ...(supported ? {} : { supported: false }),
});
const entry = (resourceId: string, tags: ChaosTag[], expected: ExpectedOutcome): ChaosEntry => ({
  regionId: 'cn-hangzhou',
  resourceType: 'disk',
  resourceId,
  tags,
  expected,
});
const handMade = (resources: InventoryResource[], entries: ChaosEntry[], poison: PoisonMessage[] = []): Workload => ({
  seed: 0,
  poison,
  inventory: { resources },
  manifests: [{ manifestId: 'm', regionId: 'cn-hangzhou', entries }],
});

describe('chaos workload', () => {
  it('builds the same workload for the same seed and another one for another seed', () => {
    // Act
    const a = buildWorkload(11, { manifests: 5 });
    const b = buildWorkload(11, { manifests: 5 });
    const c = buildWorkload(12, { manifests: 5 });
    // Assess
    expect(b).toStrictEqual(a);
    expect(c.manifests).not.toStrictEqual(a.manifests);
  });

  it('spans 1 to 200 resources and 1 to 23 tags, with missing, unsupported and rejected entries', () => {
    // Act
    const workload = buildWorkload(1, { manifests: 40 });
    // Assess
    const sizes = workload.manifests.map((m) => m.entries.length);
    const tagCounts = workload.manifests.flatMap((m) =>
      m.entries.filter((e) => e.expected.outcome !== 'rejected').map((e) => e.tags.length),
    );
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(200);
    expect(Math.min(...tagCounts)).toBe(1);
    expect(Math.max(...tagCounts)).toBe(23);
    const kinds = new Set(workload.manifests.flatMap((m) => m.entries.map((e) => JSON.stringify(e.expected))));
    expect(kinds).toStrictEqual(
      new Set([
        '{"outcome":"removed"}',
        '{"outcome":"failed","code":"InvalidResourceId.NotFound"}',
        '{"outcome":"failed","code":"InvalidResourceId.NotSupported"}',
        '{"outcome":"rejected"}',
      ]),
    );
  });

  it('expects a tag gone only when named by key alone or with its exact value', () => {
    // Prepare
    const workload = handMade(
      [disk('d-1', { a: '1', b: '2', c: '3', keep: 'yes' }), disk('d-2', { a: '1' }, false)],
      [
        entry('d-1', [{ key: 'a' }, { key: 'b', value: '2' }, { key: 'c', value: 'other' }, { key: 'absent' }], {
          outcome: 'removed',
        }),
        entry('d-2', [{ key: 'a' }], { outcome: 'failed', code: 'InvalidResourceId.NotSupported' }),
      ],
    );
    // Act
    const state = expectedInventory(workload);
    const pairs = expectedPairs(workload);
    // Assess
    expect(state.get('cn-hangzhou/disk/d-1')).toStrictEqual({ c: '3', keep: 'yes' });
    expect(state.get('cn-hangzhou/disk/d-2')).toStrictEqual({ a: '1' });
    expect([...pairs.keys()]).toStrictEqual(['m cn-hangzhou/disk/d-1', 'm cn-hangzhou/disk/d-2']);
  });
});

describe('verifyRun', () => {
  // One resource with a removable and a kept tag, one missing resource, one poison message.
  const workload = handMade(
    [disk('d-1', { a: '1', keep: 'yes' })],
    [
      entry('d-1', [{ key: 'a' }], { outcome: 'removed' }),
      entry('d-gone', [{ key: 'a' }], { outcome: 'failed', code: 'InvalidResourceId.NotFound' }),
    ],
    [{ label: 'not JSON', body: 'nope' }],
  );
  const line = (resourceId: string, outcome: string, more: Record<string, unknown> = {}): LogRecord => ({
    event: 'resource.outcome',
    manifestId: 'm',
    regionId: 'cn-hangzhou',
    resourceType: 'disk',
    resourceId,
    outcome,
    messageId: 'msg-1',
    ...more,
  });
  const good: RunObservation = {
    workload,
    lines: [
      line('d-1', 'deferred', { continuationMessageId: 'msg-2' }),
      line('d-1', 'removed', { messageId: 'msg-2' }),
      line('d-gone', 'failed', { error: { code: 'InvalidResourceId.NotFound' } }),
    ],
    finalInventory: { resources: [disk('d-1', { keep: 'yes' })] },
    deadLetters: [{ body: 'nope', code: 'InvalidManifest', reason: 'body is not valid JSON' }],
    emulator: {
      requests: 2,
      ok: 1,
      throttled: 0,
      errorsByCode: {},
      resets: 0,
      hangs: 0,
      accepted: 1,
      calls: [],
      perSecond: [],
      byAction: {},
    },
    workQueue: { visible: 0, notVisible: 0, delayed: 0 },
    deliveries: new Map([['msg-1', 1]]),
    drainMs: 1000,
    drained: true,
  };

  it('passes a run that finished everything', () => {
    // Act
    const verdict = verifyRun(good);
    // Assess
    expect(verdict.failures).toStrictEqual([]);
    expect(verdict.figures).toMatchObject({
      lost: 0,
      done: 1,
      failedPermanently: { 'failed InvalidResourceId.NotFound': 1 },
    });
  });

  it.each<[string, Partial<RunObservation>, RegExp]>([
    [
      'a pair with only a deferred outcome',
      {
        lines: [
          line('d-1', 'deferred', { continuationMessageId: 'msg-2' }),
          line('d-gone', 'failed', { error: { code: 'InvalidResourceId.NotFound' } }),
        ],
      },
      /without a final outcome/,
    ],
    [
      'a removable tag still there',
      {
        finalInventory: { resources: [disk('d-1', { a: '1', keep: 'yes' })] },
      },
      /removable tags still present/,
    ],
    [
      'a kept tag removed',
      {
        finalInventory: { resources: [disk('d-1', {})] },
      },
      /should not have been/,
    ],
    [
      'two outcomes that disagree',
      { lines: [...good.lines, line('d-1', 'failed', { error: { code: 'InternalError' } })] },
      /contradicting/,
    ],
    [
      'a continuation nobody ran',
      { lines: [...good.lines, line('d-1', 'deferred', { continuationMessageId: 'msg-9' })] },
      /continuations never processed/,
    ],
    ['poison missing from the DLQ', { deadLetters: [] }, /poison message "not JSON"/],
    [
      'unfinished work in the DLQ',
      { deadLetters: [...good.deadLetters, { body: '{}', code: 'ContinuationsExhausted' }] },
      /dead-lettered \(ContinuationsExhausted\)/,
    ],
    [
      'a queue that never drained',
      { drained: false, workQueue: { visible: 1, notVisible: 0, delayed: 0 } },
      /not drained/,
    ],
  ])('fails a run with %s', (_name, change, message) => {
    // Act
    const verdict = verifyRun({ ...good, ...change });
    // Assess
    expect(verdict.failures.join('\n')).toMatch(message);
  });
});

describe('chaos run in miniature', () => {
  it('loses nothing through 5xx, resets, hangs, apply-then-500, throttling, cut deadlines, a crash and SQS send faults', async () => {
    // Act
    const { verdict } = await runChaos(small);
    // Assess: the invariants
    expect(verdict.failures).toStrictEqual([]);
    const f = verdict.figures;
    expect(f.lost).toBe(0);
    expect(f.pairsWithoutFinalOutcome).toBe(0);
    expect(f.removableTagsLeft).toBe(0);
    expect(f.tagsWronglyRemoved).toBe(0);
    expect(f.contradictions).toBe(0);
    expect(f.poisonInDlq).toBe(f.poisonMessages);
    expect(f.done + Object.values(f.failedPermanently).reduce((a, b) => a + b, 0)).toBe(f.resourcesRequested);
    // Assess: the faults really happened, so the invariants were tested under them
    expect(f.appliedThen500).toBeGreaterThan(0);
    expect(f.redeliveredMessages).toBeGreaterThan(0);
    expect(f.tagsRemoved).toBe(f.removableTags);
  }, 20_000);
});
