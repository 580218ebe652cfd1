import { afterEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import type { EcsClient } from '../../lib/alibaba/client.ts';
import type { Manifest } from '../../lib/core/manifest/types.ts';
import type { ManifestSummary, OutcomeLine } from '../../lib/core/outcome.ts';
import { exitCodeFor, type RunReport, runManifests } from '../../lib/engine/run-manifests.ts';
import {
  capturingLogger,
  EMULATOR_CREDENTIALS,
  fastExecutorOptions,
  inventory,
  manifest,
  resource,
  startTestEcs,
  tagRecord,
  testClient,
} from '../support/ecs.ts';

describe('runManifests against the emulator', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(
    resources: Parameters<typeof inventory>,
    emulatorOptions: Parameters<typeof startTestEcs>[1] = {},
    credentials = EMULATOR_CREDENTIALS,
  ): Promise<{ emulator: RunningEmulator; client: EcsClient }> {
    const emulator = await startTestEcs(inventory(...resources), emulatorOptions);
    const client = testClient(emulator.url, credentials, { requestTimeoutMs: 2000 });
    cleanups.push(
      () => emulator.close(),
      () => client.close(),
    );
    return { emulator, client };
  }

  async function run(
    client: EcsClient,
    manifests: Manifest[],
    executor: Parameters<typeof fastExecutorOptions>[0] = {},
  ): Promise<{ report: RunReport; records: () => Record<string, unknown>[] }> {
    const { logger, records } = capturingLogger('debug');
    const report = await runManifests(manifests, { client, logger, executor: fastExecutorOptions(executor) });
    return { report, records };
  }

  const outcomeLines = (records: Record<string, unknown>[]) => records.filter((r) => r.event === 'resource.outcome');
  const summaryLines = (records: Record<string, unknown>[]) => records.filter((r) => r.event === 'manifest.summary');

  it('removes a key whatever its value, but a key+value only when the value matches', async () => {
    // Prepare
    const { emulator, client } = await setUp([
      resource('d-1', { env: 'dev', owner: 'alice', team: 'web', keep: 'yes' }),
    ]);
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'env' }, { key: 'owner', value: 'alice' }, { key: 'team', value: 'ops' }] },
    ]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ team: 'web', keep: 'yes' });
    expect(report.outcomes[0]?.outcome).toBe('removed');
    expect(exitCodeFor(report)).toBe(0);
  });

  it('splits eleven tags into three calls of at most five tags', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', tagRecord(11))]);
    const m = manifest([{ resourceId: 'd-1', tags: Object.keys(tagRecord(11)).map((key) => ({ key })) }]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    const calls = emulator.stats().calls;
    expect(calls.map((c) => c.tags.length)).toStrictEqual([5, 5, 1]);
    expect(calls.every((c) => c.resourceId === 'd-1')).toBe(true);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({});
    expect(report.outcomes[0]).toMatchObject({ outcome: 'removed', calls: 3, attempts: 3 });
    expect(report.outcomes[0]?.removed).toHaveLength(11);
  });

  it.each([1, 5, 6, 10, 23])('makes ⌈%i/5⌉ calls for that many distinct tags', async (n) => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', tagRecord(n))]);
    const m = manifest([{ resourceId: 'd-1', tags: Object.keys(tagRecord(n)).map((key) => ({ key })) }]);
    // Act
    await run(client, [m]);
    // Assess
    const calls = emulator.stats().calls;
    expect(calls).toHaveLength(Math.ceil(n / 5));
    expect(calls.every((c) => c.tags.length <= 5)).toBe(true);
    expect(calls.flatMap((c) => c.tags.map((t) => t.key)).sort()).toStrictEqual(Object.keys(tagRecord(n)).sort());
  });

  it('merges duplicate entries for one resource into one outcome line and one call', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', { a: '1', b: '2', c: '3' })]);
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }, { key: 'b', value: '2' }] },
      { resourceId: 'd-1', tags: [{ key: 'b' }, { key: 'a' }] },
    ]);
    // Act
    const { records } = await run(client, [m]);
    // Assess
    const lines = outcomeLines(records());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ resourceId: 'd-1', outcome: 'removed', calls: 1 });
    expect(emulator.stats().calls).toHaveLength(1);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ c: '3' });
  });

  it('logs exactly one outcome per resource and one summary with the right tallies', async () => {
    // Prepare
    const { client } = await setUp([
      resource('d-1', { a: '1' }),
      resource('d-2', { a: '1' }),
      resource('d-ns', { a: '1' }, { supported: false }),
    ]);
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-2', tags: [{ key: 'a' }] },
      { resourceId: 'd-missing', tags: [{ key: 'a' }] },
      { resourceId: 'd-ns', tags: [{ key: 'a' }] },
      { resourceType: 'Instance', resourceId: 'i-1', tags: [{ key: 'a' }] },
    ]);
    // Act
    const { report, records } = await run(client, [m]);
    // Assess
    const lines = outcomeLines(records());
    expect(lines.map((l) => l.resourceId).sort()).toStrictEqual(['d-1', 'd-2', 'd-missing', 'd-ns', 'i-1']);
    const summaries = summaryLines(records());
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      manifestId: 'm-test',
      resources: 5,
      byOutcome: { removed: 2, failed: 2, rejected: 1, partial: 0, deferred: 0, planned: 0 },
      calls: 4,
      retries: 0,
    });
    expect(report.summaries).toHaveLength(1);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('fails a missing resource after exactly one attempt without touching the others', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', { a: '1' }), resource('d-3', { a: '1' })]);
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-missing', tags: [{ key: 'a' }] },
      { resourceId: 'd-3', tags: [{ key: 'a' }] },
    ]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    const missing = report.outcomes.find((o) => o.resourceId === 'd-missing');
    expect(missing).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      calls: 1,
      error: { code: 'InvalidResourceId.NotFound', httpStatus: 404 },
    });
    expect(missing?.error?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(
      report.outcomes
        .filter((o) => o.outcome === 'removed')
        .map((o) => o.resourceId)
        .sort(),
    ).toStrictEqual(['d-1', 'd-3']);
    expect(emulator.stats().errorsByCode).toStrictEqual({ 'InvalidResourceId.NotFound': 1 });
  });

  it('fails a resource that does not support tagging (NotSupported) without retrying', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-ns', { a: '1' }, { supported: false })]);
    const m = manifest([{ resourceId: 'd-ns', tags: [{ key: 'a' }] }]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    expect(report.outcomes[0]).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      error: { code: 'InvalidResourceId.NotSupported', httpStatus: 403 },
    });
    expect(emulator.stats().requests).toBe(1);
  });

  it('rejects an invalid entry without any API call and still runs the rest', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', { a: '1' })]);
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-2', tags: [{ key: 'aliyun:reserved' }] },
    ]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    const rejected = report.outcomes.find((o) => o.outcome === 'rejected');
    expect(rejected).toMatchObject({
      resourceId: 'd-2',
      calls: 0,
      attempts: 0,
      error: { code: 'InvalidManifestEntry' },
    });
    expect(rejected?.error?.message).toContain('aliyun');
    expect(emulator.stats().calls.map((c) => c.resourceId)).toStrictEqual(['d-1']);
  });

  it('reports partial when a later call of a resource fails permanently', async () => {
    // Prepare: the resource disappears after the first call is applied
    const { emulator, client } = await setUp([resource('d-1', tagRecord(7))]);
    const m = manifest([{ resourceId: 'd-1', tags: Object.keys(tagRecord(7)).map((key) => ({ key })) }]);
    const first = client.removeTags.bind(client);
    let calls = 0;
    const vanishing = {
      removeTags: async (...args: Parameters<EcsClient['removeTags']>) => {
        const result = await first(...args);
        if (++calls === 1) emulator.replaceInventory(inventory());
        return result;
      },
    };
    const { logger } = capturingLogger();
    // Act
    const report = await runManifests([m], { client: vanishing, logger, executor: fastExecutorOptions() });
    // Assess
    expect(report.outcomes[0]).toMatchObject({
      outcome: 'partial',
      calls: 2,
      error: { code: 'InvalidResourceId.NotFound' },
    });
    expect(report.outcomes[0]?.removed).toHaveLength(5);
  });

  it('makes no API call in a dry run and reports the planned calls', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', tagRecord(7))]);
    const m = manifest([{ resourceId: 'd-1', tags: Object.keys(tagRecord(7)).map((key) => ({ key })) }], {
      dryRun: true,
    });
    // Act
    const { report } = await run(client, [m]);
    // Assess
    expect(emulator.stats().requests).toBe(0);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'planned', calls: 0, attempts: 0 });
    expect(report.outcomes[0]?.plannedCalls?.map((c) => c.length)).toStrictEqual([5, 2]);
    expect(report.summaries[0]?.byOutcome.planned).toBe(1);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('stops within a handful of requests on a wrong secret and defers the rest with that code', async () => {
    // Prepare
    const resources = Array.from({ length: 200 }, (_, i) => resource(`d-${i}`, { a: '1' }));
    const { emulator, client } = await setUp(resources, {}, { ...EMULATOR_CREDENTIALS, accessKeySecret: 'wrong' });
    const m = manifest(resources.map((r) => ({ resourceId: r.resourceId, tags: [{ key: 'a' }] })));
    const concurrency = 8;
    // Act
    const { report, records } = await run(client, [m], { concurrency });
    // Assess
    expect(emulator.stats().requests).toBeLessThanOrEqual(concurrency + 2);
    expect(emulator.stats().accepted).toBe(0);
    expect(report.fatal?.code).toBe('SignatureDoesNotMatch');
    expect(report.outcomes).toHaveLength(200);
    expect(report.outcomes.every((o) => o.outcome === 'deferred' && o.error?.code === 'SignatureDoesNotMatch')).toBe(
      true,
    );
    expect(report.summaries[0]?.byOutcome.deferred).toBe(200);
    expect(records().filter((r) => r.event === 'run.fatal')).toHaveLength(1);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('with 5% injected 5xx and 3% resets removes every removable tag and reports each resource once', async () => {
    // Prepare
    const resources = Array.from({ length: 60 }, (_, i) => resource(`d-${i}`, { ...tagRecord(7), keep: 'me' }));
    const { emulator, client } = await setUp(resources, { faults: { errorRate: 0.05, resetRate: 0.03 }, seed: 42 });
    const entries = resources.map((r) => ({
      resourceId: r.resourceId,
      tags: Object.keys(tagRecord(7)).map((key) => ({ key })),
    }));
    const m = manifest([...entries, { resourceId: 'd-missing', tags: [{ key: 'k0' }] }]);
    // Act
    const { report } = await run(client, [m], { maxAttempts: 10 });
    // Assess
    const stats = emulator.stats();
    expect(
      stats.resets + (stats.errorsByCode.InternalError ?? 0) + (stats.errorsByCode.ServiceUnavailable ?? 0),
    ).toBeGreaterThan(0);
    for (const r of resources)
      expect(emulator.getTags(r.regionId, r.resourceType, r.resourceId)).toStrictEqual({ keep: 'me' });
    const ids = report.outcomes.map((o) => o.resourceId);
    expect(new Set(ids).size).toBe(61);
    expect(ids).toHaveLength(61);
    expect(report.outcomes.filter((o) => o.outcome === 'removed')).toHaveLength(60);
    expect(report.outcomes.find((o) => o.resourceId === 'd-missing')?.outcome).toBe('failed');
    expect(report.summaries[0]?.retries).toBeGreaterThan(0);
  });

  it('ends removed when a change was applied but answered 500, and when requests hang', async () => {
    // Prepare
    const resources = Array.from({ length: 20 }, (_, i) => resource(`d-${i}`, { ...tagRecord(6), keep: 'me' }));
    const { emulator, client } = await setUp(resources, { faults: { applyThen500Rate: 0.2, hangRate: 0.05 }, seed: 7 });
    const m = manifest(
      resources.map((r) => ({ resourceId: r.resourceId, tags: Object.keys(tagRecord(6)).map((key) => ({ key })) })),
    );
    // Act
    const { report } = await run(client, [m], { maxAttempts: 10, requestTimeoutMs: 100 });
    // Assess
    const stats = emulator.stats();
    expect(stats.calls.some((c) => c.httpStatus === 500)).toBe(true);
    expect(report.outcomes.every((o) => o.outcome === 'removed')).toBe(true);
    for (const r of resources)
      expect(emulator.getTags(r.regionId, r.resourceType, r.resourceId)).toStrictEqual({ keep: 'me' });
  });

  it('records the RequestId of every accepted call, for audit', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', tagRecord(12)), resource('d-2', { a: '1' })]);
    const m = manifest([
      { resourceId: 'd-1', tags: Object.keys(tagRecord(12)).map((key) => ({ key })) },
      { resourceId: 'd-2', tags: [{ key: 'a' }] },
    ]);
    // Act
    const { report } = await run(client, [m]);
    // Assess
    const accepted = emulator
      .stats()
      .calls.map((c) => c.requestId)
      .sort();
    const reported = report.outcomes.flatMap((o) => o.requestIds).sort();
    expect(reported).toStrictEqual(accepted);
    expect(report.outcomes.find((o) => o.resourceId === 'd-1')?.requestIds).toHaveLength(3);
  });

  it('shares one executor across manifests and reports each manifest on its own', async () => {
    // Prepare
    const { client } = await setUp([resource('d-1', { a: '1' }), resource('d-2', { a: '1' })]);
    const m1 = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }], { manifestId: 'm-one' });
    const m2 = manifest([{ resourceId: 'd-2', tags: [{ key: 'a' }] }], { manifestId: 'm-two' });
    // Act
    const { report } = await run(client, [m1, m2]);
    // Assess
    const byManifest = (summaries: readonly ManifestSummary[]) =>
      Object.fromEntries(summaries.map((s) => [s.manifestId, s.byOutcome.removed]));
    expect(byManifest(report.summaries)).toStrictEqual({ 'm-one': 1, 'm-two': 1 });
    expect(report.outcomes.map((o: OutcomeLine) => o.manifestId).sort()).toStrictEqual(['m-one', 'm-two']);
    expect(report.executor.stats.attempts).toBe(2);
  });

  it('sends nothing past the deadline and fails the work it could not start', async () => {
    // Prepare
    const { emulator, client } = await setUp([resource('d-1', { a: '1' })]);
    const m = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]);
    // Act
    const { report } = await run(client, [m], { deadlineAt: Date.now() - 1 });
    // Assess
    expect(emulator.stats().requests).toBe(0);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'failed', attempts: 0, error: { code: 'DeadlineExceeded' } });
  });

  it('fails (not defers) work that ran out of attempts on throttling', async () => {
    // Prepare: flow control lets one call through, then throttles everything
    const { client } = await setUp([resource('d-1', { a: '1' }), resource('d-2', { a: '1' })], {
      maxQps: 0.001,
      burst: 1,
    });
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-2', tags: [{ key: 'a' }] },
    ]);
    // Act
    const { report } = await run(client, [m], { maxAttempts: 2, concurrency: 1 });
    // Assess
    const outcomes = report.outcomes.map((o) => o.outcome).sort();
    expect(outcomes).toStrictEqual(['failed', 'removed']);
    expect(report.outcomes.find((o) => o.outcome === 'failed')?.error?.code).toBe('Throttling.User');
    expect(report.summaries[0]?.throttled).toBe(2);
    expect(report.fatal).toBeUndefined();
  });
});
