import { describe, expect, it } from 'vitest';
import type { InventoryResource } from '../../dev/emulator/inventory.ts';
import { NetworkError } from '../../lib/core/errors.ts';
import type { Manifest } from '../../lib/core/manifest/types.ts';
import type { ExecutorOptions } from '../../lib/engine/executor.ts';
import { Executor } from '../../lib/engine/executor.ts';
import { runManifest } from '../../lib/engine/pipeline.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { exitCodeFor, runManifests } from '../../lib/engine/run-manifests.ts';
import { capturingLogger, inventory, manifest, resource, tagRecord } from '../support/ecs.ts';
import { type FakeClock, fakeClock } from '../support/fakes/clock.ts';
import { ECS_CODES, FakeEcsClient } from '../support/fakes/ecs-client.ts';

type ExecutorOverrides = Partial<Omit<ExecutorOptions, 'logger' | 'rate'>>;

/** Executor options on the fake clock, with a rate ceiling so high that pacing never waits. */
function executorOptions(clock: FakeClock, overrides: ExecutorOverrides = {}): Omit<ExecutorOptions, 'logger'> {
  return {
    rate: new AdaptiveRateController({ maxQps: 1e12, now: clock.now, sleep: clock.sleep }),
    concurrency: 8,
    maxAttempts: 5,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    ...overrides,
  };
}

/** An in-memory ECS seeded with `resources`, and a way to run manifests against it through runManifests. */
function setUp(...resources: InventoryResource[]) {
  const clock = fakeClock();
  const ecs = new FakeEcsClient(inventory(...resources));
  const { logger, records } = capturingLogger('debug');
  const run = (manifests: Manifest[], overrides: ExecutorOverrides = {}) =>
    runManifests(manifests, { client: ecs, logger, now: clock.now, executor: executorOptions(clock, overrides) });
  const lines = (event?: string) => records().filter((r) => event === undefined || r.event === event);
  return { clock, ecs, logger, run, lines };
}

const keys = (n: number) => Object.keys(tagRecord(n)).map((key) => ({ key }));

describe('pipeline outcomes', () => {
  it('sends each tag as written: a key alone, or a key with the value to match', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', { env: 'dev', owner: 'alice', team: 'web', keep: 'yes' }));
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'env' }, { key: 'owner', value: 'alice' }, { key: 'team', value: 'ops' }] },
    ]);
    // Act
    const report = await run([m]);
    // Assess
    expect(ecs.calls.map((c) => c.request.tags)).toStrictEqual([
      [{ key: 'env' }, { key: 'owner', value: 'alice' }, { key: 'team', value: 'ops' }],
    ]);
    expect(ecs.tagsOf('d-1')).toStrictEqual({ team: 'web', keep: 'yes' });
    expect(report.outcomes[0]?.outcome).toBe('removed');
    expect(exitCodeFor(report)).toBe(0);
  });

  it.each([1, 5, 6, 11, 23])('removes %i tags in calls of at most five, all reported as removed', async (n) => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', tagRecord(n)));
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: keys(n) }])]);
    // Assess
    expect(ecs.calls.map((c) => c.request.tags.length)).toStrictEqual(
      Array.from({ length: Math.ceil(n / 5) }, (_, i) => Math.min(5, n - 5 * i)),
    );
    expect(ecs.tagsOf('d-1')).toStrictEqual({});
    expect(report.outcomes[0]).toMatchObject({ outcome: 'removed', calls: Math.ceil(n / 5) });
    expect(report.outcomes[0]?.removed).toHaveLength(n);
  });

  it('merges duplicate entries for one resource into one outcome line and one call', async () => {
    // Prepare
    const { ecs, run, lines } = setUp(resource('d-1', { a: '1', b: '2', c: '3' }));
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }, { key: 'b', value: '2' }] },
      { resourceId: 'd-1', tags: [{ key: 'b' }, { key: 'a' }] },
    ]);
    // Act
    await run([m]);
    // Assess
    expect(lines('resource.outcome')).toHaveLength(1);
    expect(ecs.calls).toHaveLength(1);
    expect(ecs.tagsOf('d-1')).toStrictEqual({ c: '3' });
  });

  it('logs one outcome per resource and a summary whose tallies add up', async () => {
    // Prepare
    const { run, lines } = setUp(
      resource('d-1', { a: '1' }),
      resource('d-2', { a: '1' }),
      resource('d-ns', { a: '1' }, { supported: false }),
    );
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-2', tags: [{ key: 'a' }] },
      { resourceId: 'd-missing', tags: [{ key: 'a' }] },
      { resourceId: 'd-ns', tags: [{ key: 'a' }] },
      { resourceType: 'Instance', resourceId: 'i-1', tags: [{ key: 'a' }] },
    ]);
    // Act
    const report = await run([m]);
    // Assess
    expect(lines('resource.outcome').map((l) => l.resourceId)).toStrictEqual([
      'i-1',
      'd-1',
      'd-2',
      'd-missing',
      'd-ns',
    ]);
    expect(lines('manifest.summary')).toStrictEqual([
      expect.objectContaining({
        resources: 5,
        byOutcome: { removed: 2, failed: 2, rejected: 1, partial: 0, deferred: 0, planned: 0 },
        calls: 4,
        retries: 0,
      }),
    ]);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('rejects an invalid entry without a call and still runs the rest', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', { a: '1' }));
    const m = manifest([
      { resourceId: 'd-1', tags: [{ key: 'a' }] },
      { resourceId: 'd-2', tags: [{ key: 'aliyun:reserved' }] },
    ]);
    // Act
    const report = await run([m]);
    // Assess
    expect(report.outcomes.find((o) => o.outcome === 'rejected')).toMatchObject({
      resourceId: 'd-2',
      calls: 0,
      error: { code: 'InvalidManifestEntry' },
    });
    expect(ecs.calls.map((c) => c.request.resourceId)).toStrictEqual(['d-1']);
  });

  it('reports partial, with what was removed, when a later call of a resource fails permanently', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', tagRecord(7)));
    ecs.fail({ call: 2, error: ECS_CODES.permanent });
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: keys(7) }])]);
    // Assess
    expect(report.outcomes[0]).toMatchObject({ outcome: 'partial', calls: 2, error: { code: ECS_CODES.permanent } });
    expect(report.outcomes[0]?.removed).toStrictEqual(keys(5));
    expect(ecs.tagsOf('d-1')).toStrictEqual({ k5: 'v5', k6: 'v6' });
  });

  it('makes no call in a dry run and reports the planned calls', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', tagRecord(7)));
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: keys(7) }], { dryRun: true })]);
    // Assess
    expect(ecs.calls).toHaveLength(0);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'planned', calls: 0, attempts: 0 });
    expect(report.outcomes[0]?.plannedCalls?.map((c) => c.length)).toStrictEqual([5, 2]);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('records the RequestId of every accepted call, for audit', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', tagRecord(12)), resource('d-2', { a: '1' }));
    ecs.fail({ call: 2, error: ECS_CODES.transient, times: 1 });
    // Act
    const report = await run([
      manifest([
        { resourceId: 'd-1', tags: keys(12) },
        { resourceId: 'd-2', tags: [{ key: 'a' }] },
      ]),
    ]);
    // Assess
    const accepted = ecs.calls.filter((c) => c.result === 'ok').map((c) => c.requestId);
    expect(report.outcomes.flatMap((o) => o.requestIds).sort()).toStrictEqual(accepted.sort());
    expect(report.outcomes.find((o) => o.resourceId === 'd-1')?.requestIds).toHaveLength(3);
  });

  it('shares one executor across manifests and reports each manifest on its own', async () => {
    // Prepare
    const { run } = setUp(resource('d-1', { a: '1' }), resource('d-2', { a: '1' }));
    const m1 = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }], { manifestId: 'm-one' });
    const m2 = manifest([{ resourceId: 'd-2', tags: [{ key: 'a' }] }], { manifestId: 'm-two' });
    // Act
    const report = await run([m1, m2]);
    // Assess
    expect(Object.fromEntries(report.summaries.map((s) => [s.manifestId, s.byOutcome.removed]))).toStrictEqual({
      'm-one': 1,
      'm-two': 1,
    });
    expect(report.executor.stats.attempts).toBe(2);
  });
});

describe('pipeline retries', () => {
  it.each([
    ['a 503', ECS_CODES.transient],
    ['a 500', 'InternalError'],
    ['throttling', ECS_CODES.throttle],
    ['a reset connection', new NetworkError('ECONNRESET', 'socket hang up')],
  ])('retries %s and ends removed', async (_name, error) => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', { a: '1' }));
    ecs.fail({ error, times: 2 });
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }])]);
    // Assess
    expect(report.outcomes[0]).toMatchObject({ outcome: 'removed', calls: 1, attempts: 3 });
    expect(report.summaries[0]?.retries).toBe(2);
    expect(ecs.tagsOf('d-1')).toStrictEqual({});
  });

  it.each([ECS_CODES.permanent, 'InvalidResourceId.NotSupported', 'InvalidParameter', 'Forbidden.RAM'])(
    'fails on %s after exactly one attempt, without touching the others',
    async (code) => {
      // Prepare
      const { ecs, run } = setUp(resource('d-1', { a: '1' }), resource('d-2', { a: '1' }));
      ecs.fail({ resourceId: 'd-1', error: code });
      // Act
      const report = await run([
        manifest([
          { resourceId: 'd-1', tags: [{ key: 'a' }] },
          { resourceId: 'd-2', tags: [{ key: 'a' }] },
        ]),
      ]);
      // Assess
      expect(report.outcomes.find((o) => o.resourceId === 'd-1')).toMatchObject({
        outcome: 'failed',
        attempts: 1,
        error: { code },
      });
      expect(ecs.callsOn('d-1')).toHaveLength(1);
      expect(report.outcomes.find((o) => o.resourceId === 'd-2')?.outcome).toBe('removed');
    },
  );

  it('ends removed when a change was applied but answered with a 500', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', { ...tagRecord(6), keep: 'me' }));
    ecs.fail({ call: 1, error: 'InternalError', applied: true });
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: keys(6) }])]);
    // Assess
    expect(report.outcomes[0]).toMatchObject({ outcome: 'removed', calls: 2, attempts: 3 });
    expect(ecs.tagsOf('d-1')).toStrictEqual({ keep: 'me' });
  });

  it('fails (not defers) work that ran out of attempts on throttling', async () => {
    // Prepare
    const { ecs, run } = setUp(resource('d-1', { a: '1' }), resource('d-2', { a: '1' }));
    ecs.fail({ resourceId: 'd-2', error: ECS_CODES.throttle });
    // Act
    const report = await run(
      [
        manifest([
          { resourceId: 'd-1', tags: [{ key: 'a' }] },
          { resourceId: 'd-2', tags: [{ key: 'a' }] },
        ]),
      ],
      { maxAttempts: 2 },
    );
    // Assess
    expect(report.outcomes.map((o) => `${o.resourceId} ${o.outcome}`).sort()).toStrictEqual([
      'd-1 removed',
      'd-2 failed',
    ]);
    expect(report.outcomes.find((o) => o.outcome === 'failed')?.error?.code).toBe(ECS_CODES.throttle);
    expect(report.summaries[0]?.throttled).toBe(2);
    expect(report.fatal).toBeUndefined();
  });

  it('stops after one call on a fatal error and defers everything else with that code', async () => {
    // Prepare
    const resources = Array.from({ length: 200 }, (_, i) => resource(`d-${i}`, { a: '1' }));
    const { ecs, run, lines } = setUp(...resources);
    ecs.fail({ error: ECS_CODES.fatal });
    const m = manifest(resources.map((r) => ({ resourceId: r.resourceId, tags: [{ key: 'a' }] })));
    // Act
    const report = await run([m]);
    // Assess: the first call goes out alone, so the API refuses the signature once
    expect(ecs.calls).toHaveLength(1);
    expect(report.fatal?.code).toBe(ECS_CODES.fatal);
    expect(report.outcomes).toHaveLength(200);
    expect(report.outcomes.every((o) => o.outcome === 'deferred' && o.error?.code === ECS_CODES.fatal)).toBe(true);
    expect(lines('run.fatal')).toHaveLength(1);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('stops at the first unresolvable host name as EndpointUnreachable and defers every resource once', async () => {
    // Prepare: the client fails as it would for a host name that does not exist (a stub: no DNS query leaves)
    const resources = Array.from({ length: 50 }, (_, i) => resource(`d-${i}`, { a: '1' }));
    const { ecs, run, lines } = setUp(...resources);
    ecs.fail({ error: new NetworkError('ENOTFOUND', 'getaddrinfo ENOTFOUND ecs.nowhere.example') });
    const m = manifest(resources.map((r) => ({ resourceId: r.resourceId, tags: [{ key: 'a' }] })));
    // Act
    const report = await run([m]);
    // Assess: one request, not six attempts per resource
    expect(ecs.calls).toHaveLength(1);
    expect(report.fatal).toMatchObject({ code: 'EndpointUnreachable', message: expect.stringMatching(/ENOTFOUND/) });
    expect(new Set(report.outcomes.map((o) => o.resourceId)).size).toBe(50);
    expect(report.outcomes.every((o) => o.outcome === 'deferred' && o.error?.code === 'EndpointUnreachable')).toBe(
      true,
    );
    expect(lines('run.fatal')).toMatchObject([{ level: 'error', error: { code: 'EndpointUnreachable' } }]);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('sends nothing past the deadline and fails the work it could not start', async () => {
    // Prepare
    const { ecs, run, clock } = setUp(resource('d-1', { a: '1' }));
    // Act
    const report = await run([manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }])], {
      deadlineAt: clock.now() - 1,
    });
    // Assess
    expect(ecs.calls).toHaveLength(0);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'failed', attempts: 0, error: { code: 'DeadlineExceeded' } });
  });

  it('reports every resource exactly once when failures of every kind are mixed', async () => {
    // Prepare: 40 resources of two calls each; every fifth call fails once, two resources fail permanently
    const resources = Array.from({ length: 40 }, (_, i) => resource(`d-${i}`, { ...tagRecord(7), keep: 'me' }));
    const { ecs, run } = setUp(...resources);
    ecs.fail(
      { resourceId: 'd-3', error: ECS_CODES.permanent },
      { resourceId: 'd-7', skip: 1, error: ECS_CODES.permanent },
      ...Array.from({ length: 16 }, (_, i) => ({ call: 5 * (i + 1), error: ECS_CODES.transient, times: 1 })),
    );
    const entries = resources.map((r) => ({ resourceId: r.resourceId, tags: keys(7) }));
    // Act
    const report = await run([manifest([...entries, { resourceId: 'd-missing', tags: [{ key: 'k0' }] }])]);
    // Assess
    const ids = report.outcomes.map((o) => o.resourceId);
    expect(ids).toHaveLength(41);
    expect(new Set(ids).size).toBe(41);
    const byOutcome = report.summaries[0]?.byOutcome;
    expect(Object.values(byOutcome ?? {}).reduce((a, b) => a + b, 0)).toBe(41);
    expect(report.outcomes.find((o) => o.resourceId === 'd-missing')?.outcome).toBe('failed');
    expect(report.outcomes.find((o) => o.resourceId === 'd-3')?.outcome).toBe('failed');
    expect(report.outcomes.find((o) => o.resourceId === 'd-7')?.outcome).toBe('partial');
    expect(byOutcome?.removed).toBe(38);
    const removed = report.outcomes.filter((o) => o.outcome === 'removed').map((o) => o.resourceId ?? '');
    for (const id of removed) expect(ecs.tagsOf(id)).toStrictEqual({ keep: 'me' });
    expect(report.summaries[0]?.retries).toBeGreaterThan(0);
  });
});

describe('runManifest', () => {
  function pipeline(clock: FakeClock, ecs: FakeEcsClient, overrides: ExecutorOverrides = {}) {
    const { logger, records } = capturingLogger('debug');
    const executor = new Executor({ ...executorOptions(clock, overrides), logger });
    return {
      run: (m: Manifest) => runManifest(m, { client: ecs, executor, logger, now: clock.now }),
      records,
    };
  }

  it('returns work that kept failing as unfinished, with exactly the tags of the calls not accepted', async () => {
    // Prepare: the second of three calls keeps failing
    const clock = fakeClock();
    const ecs = new FakeEcsClient(inventory(resource('d-1', tagRecord(11)))).fail({ call: 2, error: 'InternalError' });
    ecs.fail({ call: 3, error: 'InternalError' });
    const { run, records } = pipeline(clock, ecs, { maxAttempts: 2 });
    // Act
    const result = await run(manifest([{ resourceId: 'd-1', tags: keys(11) }]));
    // Assess
    expect(result.unfinished).toStrictEqual([
      expect.objectContaining({
        resourceId: 'd-1',
        unfinishedReason: 'exhausted',
        removed: keys(5),
        remaining: keys(11).slice(5),
        error: expect.objectContaining({ code: 'InternalError' }),
      }),
    ]);
    expect(records().filter((r) => r.event === 'resource.outcome')).toHaveLength(0);
  });

  it('logs each unfinished resource once it is settled, with the settlement and its remaining tags', async () => {
    // Prepare
    const clock = fakeClock();
    const ecs = new FakeEcsClient(inventory(resource('d-1', { a: '1' })));
    const { run, records } = pipeline(clock, ecs, { deadlineAt: clock.now() - 1 });
    const result = await run(manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    // Act
    const summary = result.settle(() => ({ outcome: 'deferred', continuationMessageId: 'next' }));
    // Assess
    expect(records().filter((r) => r.event === 'resource.outcome')).toStrictEqual([
      expect.objectContaining({ outcome: 'deferred', continuationMessageId: 'next', remaining: [{ key: 'a' }] }),
    ]);
    expect(summary.byOutcome.deferred).toBe(1);
    expect(result.settle(() => ({ outcome: 'failed' }))).toBe(summary);
  });

  it('waits out the backoff on the injected clock, not in real time', async () => {
    // Prepare
    const clock = fakeClock();
    const ecs = new FakeEcsClient(inventory(resource('d-1', { a: '1' }))).fail({ error: 'InternalError', times: 3 });
    const { run } = pipeline(clock, ecs, { baseDelayMs: 1000, maxDelayMs: 60_000 });
    // Act
    const result = await run(manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }]));
    // Assess: full jitter at 0.5 over steps of 1, 2 and 4 s
    expect(result.results[0]?.status).toBe('removed');
    expect(clock.sleeps).toStrictEqual([500, 1000, 2000]);
  });
});

describe('pipeline log lines', () => {
  /** Runs a mix that yields every outcome, retries and a fatal stop, and returns every line logged. */
  async function everyKindOfLine() {
    const resources = ['d-ok', 'd-bad', 'd-half', 'd-retry'].map((id) => resource(id, tagRecord(7)));
    const mixed = setUp(...resources);
    mixed.ecs.fail(
      { resourceId: 'd-bad', error: ECS_CODES.permanent },
      { resourceId: 'd-half', skip: 1, error: ECS_CODES.permanent },
      { resourceId: 'd-retry', error: ECS_CODES.throttle, times: 2 },
    );
    const entries = resources.map((r) => ({ resourceId: r.resourceId, tags: keys(7) }));
    await mixed.run([manifest([...entries, { resourceId: 'd-ok', tags: [{ key: '' }] }])]);
    await mixed.run([manifest(entries.slice(0, 1), { manifestId: 'm-dry', dryRun: true })]);
    const stopped = setUp(resource('d-1', { a: '1' }), resource('d-2', { a: '1' }));
    stopped.ecs.fail({ error: ECS_CODES.fatal });
    const ids = ['d-1', 'd-2'].map((resourceId) => ({ resourceId, tags: [{ key: 'a' }] }));
    await stopped.run([manifest(ids, { manifestId: 'm-fatal' })]);
    return [...mixed.lines(), ...stopped.lines()];
  }

  it('gives every line, at every level, an event equal to its message', async () => {
    // Act
    const all = await everyKindOfLine();
    // Assess
    const events = new Set(all.map((l) => l.msg));
    expect(events).toStrictEqual(
      new Set(['call.attempt', 'call.retry', 'resource.outcome', 'manifest.summary', 'run.fatal']),
    );
    for (const line of all) expect(line.event, JSON.stringify(line)).toBe(line.msg);
  });

  it('logs removed and planned outcomes at info, and every other outcome at warn', async () => {
    // Act
    const all = await everyKindOfLine();
    // Assess
    const levels = new Map<unknown, Set<unknown>>();
    for (const line of all.filter((l) => l.event === 'resource.outcome')) {
      levels.set(line.outcome, (levels.get(line.outcome) ?? new Set()).add(line.level));
    }
    expect(Object.fromEntries([...levels].map(([outcome, set]) => [outcome, [...set]]))).toStrictEqual({
      removed: ['info'],
      planned: ['info'],
      failed: ['warn'],
      partial: ['warn'],
      rejected: ['warn'],
      deferred: ['warn'],
    });
  });
});

describe('pipeline region check', () => {
  it('warns once per run for each region outside the known list, whatever the number of manifests and entries', async () => {
    // Prepare
    const { run, lines } = setUp();
    const typo = manifest(
      [
        { resourceId: 'd-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-2', tags: [{ key: 'a' }] },
        { resourceId: 'd-3', regionId: 'xx-nowhere-1', tags: [{ key: 'a' }] },
        { resourceId: 'd-4', regionId: 'cn-shanghai', tags: [{ key: 'a' }] },
      ],
      { manifestId: 'm-typo', regionId: 'cn-hangzou', dryRun: true },
    );
    const again = manifest([{ resourceId: 'd-5', tags: [{ key: 'a' }] }], {
      manifestId: 'm-again',
      regionId: 'cn-hangzou',
      dryRun: true,
    });
    // Act
    const report = await run([typo, again]);
    // Assess: a warning, not an error: every resource is still planned
    expect(lines('region.unknown').map((l) => [l.level, l.regionId])).toStrictEqual([
      ['warn', 'cn-hangzou'],
      ['warn', 'xx-nowhere-1'],
    ]);
    expect(report.outcomes.every((o) => o.outcome === 'planned')).toBe(true);
  });

  it('warns again in the next run, and never for a known region', async () => {
    // Prepare
    const { run, lines } = setUp();
    const odd = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }], { regionId: 'eu-nowhere-9', dryRun: true });
    const known = manifest([{ resourceId: 'd-1', tags: [{ key: 'a' }] }], { manifestId: 'm-ok', dryRun: true });
    // Act
    await run([odd]);
    await run([odd, known]);
    // Assess
    expect(lines('region.unknown').map((l) => l.regionId)).toStrictEqual(['eu-nowhere-9', 'eu-nowhere-9']);
  });
});
