import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { exitCodeFor, runManifests } from '../../lib/engine/run-manifests.ts';
import { capturingLogger, inventory, resource } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { FakeEcsClient } from '../support/fakes/ecs-client.ts';

const SWEEP = { kind: 'sweep', policy: 'no-tmp', policySha256: 'b'.repeat(64) };

/** Runs one manifest naming `d-live` (which exists) and `d-gone` (which does not) on an in-memory ECS. */
async function runWith(origin: unknown) {
  const clock = fakeClock();
  const ecs = new FakeEcsClient(inventory(resource('d-live', { tmp: '1' })));
  const { logger, records } = capturingLogger('info');
  const manifest = parseManifest({
    version: 1,
    manifestId: 'm-1',
    regionId: 'cn-hangzhou',
    ...(origin !== undefined && { origin }),
    resources: [
      { resourceType: 'disk', resourceId: 'd-live', tags: [{ key: 'tmp', value: '1' }] },
      { resourceType: 'disk', resourceId: 'd-gone', tags: [{ key: 'tmp', value: '1' }] },
    ],
  });
  const report = await runManifests([manifest], {
    client: ecs,
    logger,
    now: clock.now,
    executor: {
      rate: new AdaptiveRateController({ maxQps: 1e12, now: clock.now, sleep: clock.sleep }),
      concurrency: 2,
      maxAttempts: 3,
      sleep: clock.sleep,
      now: clock.now,
    },
  });
  const outcomeOf = (id: string) => records().find((r) => r.event === 'resource.outcome' && r.resourceId === id);
  return { report, outcomeOf, ecs };
}

describe('a resource deleted before its tags', () => {
  it('is done, not failed, in a manifest a sweep or the event adapter wrote', async () => {
    // Act
    const { report, outcomeOf } = await runWith(SWEEP);
    // Assess
    expect(outcomeOf('d-gone')).toMatchObject({ outcome: 'removed', resourceGone: true, calls: 1 });
    expect(outcomeOf('d-live')).toMatchObject({ outcome: 'removed' });
    expect(outcomeOf('d-live')).not.toHaveProperty('resourceGone');
    expect(exitCodeFor(report)).toBe(0);
  });

  it('stays a failure in a hand-written manifest, where the id may simply be wrong', async () => {
    // Act
    const { report, outcomeOf } = await runWith(undefined);
    // Assess
    expect(outcomeOf('d-gone')).toMatchObject({ outcome: 'failed', error: { code: 'InvalidResourceId.NotFound' } });
    expect(outcomeOf('d-gone')).not.toHaveProperty('resourceGone');
    expect(exitCodeFor(report)).toBe(1);
  });
});
