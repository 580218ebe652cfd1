import { describe, expect, it } from 'vitest';
import { splitWireManifest } from '../../lib/aws/sqs-split.ts';
import { ManifestError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { ManifestOrigin } from '../../lib/core/manifest/types.ts';
import { serializeManifest } from '../../lib/core/manifest/wire.ts';
import type { UnfinishedResult } from '../../lib/core/outcome.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { runManifests } from '../../lib/engine/run-manifests.ts';
import { handOff } from '../../lib/lambda/handoff.ts';
import { capturingLogger, inventory, resource } from '../support/ecs.ts';
import { fakeClock } from '../support/fakes/clock.ts';
import { FakeEcsClient } from '../support/fakes/ecs-client.ts';
import { FakeQueue } from '../support/fakes/queue.ts';

const SHA = 'a'.repeat(64);
const SWEEP: ManifestOrigin = { kind: 'sweep', policy: 'no-tmp', policySha256: SHA };
const EVENT: ManifestOrigin = { kind: 'event', eventIds: ['e-1', 'e-2'] };

function wire(
  origin: unknown,
  resources: unknown[] = [{ resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'tmp' }] }],
) {
  return { version: 1, manifestId: 'm-1', regionId: 'cn-hangzhou', resources, origin };
}

describe('manifest origin', () => {
  it.each([
    ['a sweep', SWEEP],
    ['events', EVENT],
  ])('reads and writes back the origin of %s unchanged', (_, origin) => {
    // Act
    const parsed = parseManifest(wire(origin));
    const written = serializeManifest(parsed);
    // Assess
    expect(parsed.origin).toStrictEqual(origin);
    expect(written.origin).toStrictEqual(origin);
    expect(parseManifest(JSON.stringify(written)).origin).toStrictEqual(origin);
  });

  it('is absent from hand-written manifests and from what they write back', () => {
    // Act
    const parsed = parseManifest({ ...wire(undefined), origin: undefined });
    // Assess
    expect(parsed.origin).toBeUndefined();
    expect(Object.hasOwn(serializeManifest(parsed), 'origin')).toBe(false);
  });

  it.each([
    [{ kind: 'cron' }, 'origin.kind must be "sweep" or "event"'],
    [{ kind: 'sweep', policy: 'p', policySha256: 'xyz' }, 'origin.policySha256'],
    [{ kind: 'sweep', policy: 'bad name', policySha256: SHA }, 'origin.policy'],
    [{ kind: 'sweep', policy: 'p', policySha256: SHA, extra: 1 }, 'extra'],
    [{ kind: 'event', eventIds: [] }, 'origin.eventIds must not be empty'],
    ['sweep', 'origin'],
  ])('refuses the origin %j, naming the field', (origin, expected) => {
    // Act
    const act = () => parseManifest(wire(origin));
    // Assess
    expect(act).toThrow(ManifestError);
    expect(act).toThrow(expected);
  });

  it('survives a split into parts that fit the queue', () => {
    // Prepare
    const resources = Array.from({ length: 40 }, (_, i) => ({
      resourceType: 'disk',
      resourceId: `d-${i}`,
      tags: [{ key: 'k'.repeat(100), value: 'v'.repeat(100) }],
    }));
    const original = serializeManifest(parseManifest(wire(SWEEP, resources)));
    // Act
    const parts = splitWireManifest(original, 4096, { attributeHeadroomBytes: 0 });
    // Assess
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(parseManifest(JSON.stringify(part)).origin).toStrictEqual(SWEEP);
  });

  it('travels with the unfinished work of a continuation', async () => {
    // Prepare
    const queue = new FakeQueue();
    const manifest = parseManifest(wire(EVENT));
    const unfinished: UnfinishedResult = {
      key: 'cn-hangzhou/disk/d-1',
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      resourceId: 'd-1',
      status: 'unfinished',
      unfinishedReason: 'deadline',
      removed: [],
      remaining: [{ key: 'tmp' }],
      calls: 0,
      attempts: 0,
      throttles: 0,
      requestIds: [],
      durationMs: 0,
    };
    // Act
    await handOff(manifest, [unfinished], 'msg-1', {
      queue,
      queueUrl: 'https://sqs.test/0/work',
      dlqUrl: 'https://sqs.test/0/dlq',
      maxContinuations: 3,
      maxMessageBytes: 262_144,
      madeProgress: true,
      random: () => 0,
    });
    // Assess
    const [sent] = queue.messages('https://sqs.test/0/work');
    expect(parseManifest(sent?.body ?? '').origin).toStrictEqual(EVENT);
  });

  it('is shown in the manifest summary', async () => {
    // Prepare
    const clock = fakeClock();
    const ecs = new FakeEcsClient(inventory(resource('d-1', { tmp: 'x' })));
    const { logger, records } = capturingLogger('info');
    // Act
    await runManifests([parseManifest(wire(SWEEP))], {
      client: ecs,
      logger,
      now: clock.now,
      executor: {
        rate: new AdaptiveRateController({ maxQps: 1e12, now: clock.now, sleep: clock.sleep }),
        concurrency: 1,
        maxAttempts: 1,
        sleep: clock.sleep,
        now: clock.now,
      },
    });
    // Assess
    const summary = records().find((r) => r.event === 'manifest.summary');
    expect(summary?.origin).toStrictEqual(SWEEP);
  });
});
