import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../../dev/emulator/defaults.ts';
import { type InventoryFile, type RunningEmulator, startEmulator } from '../../dev/emulator/server.ts';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { MAX_TAGS_PER_CALL } from '../../lib/core/ecs-api.ts';
import { ManifestError } from '../../lib/core/errors.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { Manifest } from '../../lib/core/manifest/types.ts';
import { planManifest } from '../../lib/core/plan.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { createLogger } from '../../lib/logger.ts';
import { type Fauxqs, startFauxqs } from '../support/fauxqs.ts';
import { lambdaContext as context, sqsRecord as record } from '../support/lambda.ts';

// Complements manifest.test.ts and manifest.property.test.ts: properties that run the planner on any input
// and check rejection paths exactly, and the issue's hostile cases end to end through the SQS handler.

/** Parse and plan; a ManifestError comes back as a value, anything else thrown fails the property. */
function parseAndPlan(input: unknown): { manifest: Manifest; calls: number[] } | ManifestError {
  try {
    const manifest = parseManifest(input);
    const calls = planManifest(manifest).resources.flatMap((r) => r.calls.map((c) => c.length));
    return { manifest, calls };
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
}

const validEntry = () => ({ resourceType: 'disk', resourceId: 'd-1', tags: [{ key: 'env', value: 'dev' }] });
const validManifest = () => ({ version: 1, manifestId: 'm-1', regionId: 'cn-hangzhou', resources: [validEntry()] });

// Values that are wrong wherever they are put, as long as they are not the field's valid type.
const wrongScalars = fc.constantFrom<unknown>(null, 7, -1.5, true, [], {}, ['x'], { key: 'x' });

describe('parser and planner on hostile input', () => {
  it('plans only calls of one to five tags, or rejects, for any value placed anywhere in a manifest', () => {
    // Prepare: mostly well-formed manifests with an arbitrary value in any field, so that both the rejections
    // and the planner (long tag lists, keys repeated across entries for one resource) are reached
    const anyValue = fc.anything({
      key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'key', 'value')),
    });
    const mostly = <T>(good: fc.Arbitrary<T>, weight = 15) =>
      fc.oneof({ arbitrary: good, weight }, { arbitrary: anyValue, weight: 1 });
    const tag = mostly(
      fc.record(
        {
          // One bad tag rejects its whole resource, so bad tag fields are rarer than bad manifest fields.
          key: mostly(fc.oneof(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor', ' '), fc.string()), 200),
          value: mostly(fc.oneof(fc.constantFrom('1', '2', ''), fc.string()), 200),
        },
        { requiredKeys: ['key'] },
      ),
      200,
    );
    const entry = mostly(
      fc.record({
        resourceType: mostly(fc.constantFrom('disk', 'instance')),
        resourceId: mostly(fc.constantFrom('d-1', 'd-2', 'd-3', 'd-4')),
        tags: mostly(fc.array(tag, { minLength: 1, maxLength: 30 })),
      }),
    );
    const manifest = fc.record({
      version: mostly(fc.constant(1)),
      manifestId: mostly(fc.constant('m')),
      regionId: mostly(fc.constant('cn-hangzhou')),
      resources: mostly(fc.array(entry, { minLength: 1, maxLength: 8 })),
    });
    const input = fc.oneof(
      { arbitrary: manifest, weight: 4 },
      { arbitrary: manifest.map((m) => JSON.stringify(m) ?? ''), weight: 4 },
      { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
      { arbitrary: fc.string(), weight: 1 },
    );
    let planned = 0;
    fc.assert(
      fc.property(input, (raw) => {
        // Act
        const outcome = parseAndPlan(raw);
        // Assess
        if (outcome instanceof ManifestError) {
          expect(outcome.issues.length).toBeGreaterThan(0);
          for (const issue of outcome.issues) expect(issue.reason).not.toBe('');
          return;
        }
        if (outcome.calls.length > 0) planned++;
        for (const size of outcome.calls) {
          expect(size).toBeGreaterThanOrEqual(1);
          expect(size).toBeLessThanOrEqual(MAX_TAGS_PER_CALL);
        }
      }),
      { numRuns: 400 },
    );
    // The property must not pass by rejecting everything: about half of the runs reach the planner.
    expect(planned).toBeGreaterThan(100);
  });

  it('names the exact path of a wrong value in a rejection', () => {
    // Prepare: a valid manifest with one wrong value at a known place
    const places: {
      path: string;
      set: (m: ReturnType<typeof validManifest>, v: unknown) => void;
      level: 'manifest' | 'entry';
    }[] = [
      { path: 'manifestId', level: 'manifest', set: (m, v) => Object.assign(m, { manifestId: v }) },
      { path: 'regionId', level: 'manifest', set: (m, v) => Object.assign(m, { regionId: v }) },
      { path: 'resources', level: 'manifest', set: (m, v) => Object.assign(m, { resources: v }) },
      { path: 'dryRun', level: 'manifest', set: (m, v) => Object.assign(m, { dryRun: v }) },
      {
        path: 'resources[0].resourceType',
        level: 'entry',
        set: (m, v) => Object.assign(m.resources[0] ?? {}, { resourceType: v }),
      },
      {
        path: 'resources[0].resourceId',
        level: 'entry',
        set: (m, v) => Object.assign(m.resources[0] ?? {}, { resourceId: v }),
      },
      {
        path: 'resources[0].regionId',
        level: 'entry',
        set: (m, v) => Object.assign(m.resources[0] ?? {}, { regionId: v }),
      },
      { path: 'resources[0].tags', level: 'entry', set: (m, v) => Object.assign(m.resources[0] ?? {}, { tags: v }) },
      {
        path: 'resources[0].tags[0].key',
        level: 'entry',
        set: (m, v) => Object.assign(m.resources[0]?.tags[0] ?? {}, { key: v }),
      },
      {
        path: 'resources[0].tags[0].value',
        level: 'entry',
        set: (m, v) => Object.assign(m.resources[0]?.tags[0] ?? {}, { value: v }),
      },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...places), wrongScalars, fc.boolean(), (place, wrong, asText) => {
        // Arrays are right for resources and tags, booleans for dryRun: those pairings are not wrong values.
        fc.pre(!(Array.isArray(wrong) && (place.path === 'resources' || place.path === 'resources[0].tags')));
        fc.pre(!(typeof wrong === 'boolean' && place.path === 'dryRun'));
        const body = validManifest();
        place.set(body, wrong);
        // Act
        const outcome = parseAndPlan(asText ? JSON.stringify(body) : body);
        // Assess
        const issues = outcome instanceof ManifestError ? outcome.issues : (outcome.manifest.rejected[0]?.issues ?? []);
        expect(outcome instanceof ManifestError).toBe(place.level === 'manifest');
        expect(issues.map((i) => i.path)).toContain(place.path);
      }),
      { numRuns: 300 },
    );
  });
});

// End to end: the same hostile input through the real handler, fauxqs and the emulator.
const inventory: InventoryFile = {
  resources: [
    {
      regionId: 'cn-hangzhou',
      resourceType: 'disk',
      resourceId: 'd-odd',
      tags: {
        成本中心: 'R&D 50%',
        ' lead ': 'ann',
        lead: 'bob',
        'team name': 'infra',
        constructor: 'x',
        'a=b&c': '+',
        env: '',
        keep: 'yes',
      },
    },
    { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-empty', tags: { env: 'prod', stage: '' } },
    {
      regionId: 'cn-hangzhou',
      resourceType: 'instance',
      resourceId: 'i-many',
      tags: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 'v'])),
    },
  ],
};

let emulator: RunningEmulator;
let fauxqs: Fauxqs;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, inventory });
  fauxqs = await startFauxqs();
});
afterAll(async () => {
  await emulator?.close();
  await fauxqs?.close();
});
beforeEach(() => {
  emulator.replaceInventory(inventory);
  emulator.resetStats();
});

async function setup() {
  const { queueUrl, dlqUrl } = await fauxqs.createQueuePair(`hostile-${randomUUID().slice(0, 8)}`);
  const lines: Record<string, unknown>[] = [];
  const handler = makeHandler({
    config: requireQueues(
      loadConfig({
        TAG_CLEANUP_QUEUE_URL: queueUrl,
        TAG_CLEANUP_DLQ_URL: dlqUrl,
        TAG_CLEANUP_DEADLINE_MARGIN_MS: '1000',
      }),
    ),
    queue: new SqsQueueSender(fauxqs.sqs),
    client: new EcsClient({
      endpoint: emulator.url,
      credentials: staticCredentials({
        accessKeyId: EMULATOR_ACCESS_KEY_ID,
        accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
      }),
      requestTimeoutMs: 2000,
    }),
    rate: new AdaptiveRateController({ maxQps: 100_000, initialQps: 100_000 }),
    logger: createLogger({ destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }),
  });
  return { handler, lines, queueUrl, dlqUrl };
}

const manifest = (resources: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 1,
    manifestId: `m-${randomUUID().slice(0, 8)}`,
    regionId: 'cn-hangzhou',
    resources,
    ...extra,
  });
const outcomes = (lines: Record<string, unknown>[]) => lines.filter((l) => l.event === 'resource.outcome');

describe('hostile manifests through the handler', () => {
  it('dead-letters each hostile body with a reason naming the path, and runs the good manifest in the same batch', async () => {
    // Prepare
    const { handler, lines, dlqUrl, queueUrl } = await setup();
    const poison = [
      { body: `${'['.repeat(10_000)}${']'.repeat(10_000)}`, reason: /manifest must be a JSON object; got an array/ },
      { body: manifest([], { version: 2 }), reason: /^version: unsupported version 2/ },
      {
        body: JSON.stringify({ version: 1, manifestId: 5, regionId: 7, resources: [] }),
        reason: /manifestId: manifestId must be a string; got 5; regionId: regionId must be a string; got 7/,
      },
      {
        body: `{"__proto__": {"dryRun": true}, ${manifest([validEntry()]).slice(1)}`,
        reason: /^__proto__: unknown field/,
      },
      {
        body: manifest(Array.from({ length: 10_001 }, () => validEntry())),
        reason: /^resources: resources lists 10001 entries; the cap is 10000/,
      },
      { body: '"just a string"', reason: /manifest must be a JSON object; got "just a string"/ },
      { body: '{}', reason: /^version: version is required/ },
    ];
    const good = record(manifest([{ resourceType: 'disk', resourceId: 'd-empty', tags: [{ key: 'env' }] }]));
    const records = [...poison.map((p) => record(p.body)), good];
    // Act
    const response = await handler({ Records: records }, context());
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    const dead = await fauxqs.receiveAll(dlqUrl);
    expect(dead).toHaveLength(poison.length);
    for (const p of poison) {
      const message = dead.find((m) => m.Body === p.body);
      expect(message?.MessageAttributes?.['tagCleanup.code']?.StringValue).toBe('InvalidManifest');
      expect(message?.MessageAttributes?.['tagCleanup.reason']?.StringValue).toMatch(p.reason);
    }
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-empty')).toStrictEqual({ stage: '' });
    expect(outcomes(lines)).toHaveLength(1);
    expect(await fauxqs.receiveAll(queueUrl)).toHaveLength(0);
  });

  it('hands a poison body too big to carry its reason back to SQS, so the redrive policy dead-letters it', async () => {
    // Prepare: a body filling the 1 MiB limit leaves no room for the reason attributes on the DLQ
    const { handler, lines, dlqUrl } = await setup();
    const huge = record(`not json ${'x'.repeat(1_048_576 - 9)}`);
    // Act
    const response = await handler({ Records: [huge] }, context());
    // Assess: not acknowledged, so it is never dropped
    expect(response.batchItemFailures).toStrictEqual([{ itemIdentifier: huge.messageId }]);
    expect(await fauxqs.receiveAll(dlqUrl)).toHaveLength(0);
    const poison = lines.find((l) => l.event === 'message.poison');
    expect(poison).toMatchObject({ reason: expect.stringMatching(/not valid JSON/), error: { code: 'DlqSendFailed' } });
  });

  it('removes unicode, whitespace, reserved-word and punctuation keys exactly, and nothing that merely looks alike', async () => {
    // Prepare
    const { handler, lines } = await setup();
    const body = manifest([
      {
        resourceType: 'disk',
        resourceId: 'd-odd',
        tags: [
          { key: '成本中心', value: 'R&D 50%' },
          { key: ' lead ' },
          { key: 'team name', value: 'infra' },
          { key: 'constructor' },
          { key: '__proto__' },
          { key: 'a=b&c', value: '+' },
          { key: 'env', value: '' },
        ],
      },
    ]);
    // Act
    const response = await handler({ Records: [record(body)] }, context());
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-odd')).toStrictEqual({ lead: 'bob', keep: 'yes' });
    expect(outcomes(lines)).toMatchObject([{ outcome: 'removed', calls: 2 }]);
  });

  it('treats an empty value as a value: it removes only the tag whose value is empty', async () => {
    // Prepare
    const { handler } = await setup();
    const body = manifest([
      {
        resourceType: 'disk',
        resourceId: 'd-empty',
        tags: [
          { key: 'env', value: '' },
          { key: 'stage', value: '' },
        ],
      },
    ]);
    // Act
    await handler({ Records: [record(body)] }, context());
    // Assess
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-empty')).toStrictEqual({ env: 'prod' });
  });

  it('rejects null tags, null values, empty keys and numbers for strings entry by entry, naming the path, and runs the rest', async () => {
    // Prepare
    const { handler, lines } = await setup();
    const body = manifest([
      { resourceType: 'disk', resourceId: 'd-bad1', tags: null },
      { resourceType: 'disk', resourceId: 'd-bad2', tags: [{ key: 'env', value: null }] },
      { resourceType: 'disk', resourceId: 'd-bad3', tags: [{ key: '' }] },
      { resourceType: 'disk', resourceId: 123, tags: [{ key: 'env' }] },
      { resourceType: 'disk', resourceId: 'd-bad5', tags: [{ key: 4, value: 5 }] },
      { resourceType: 'disk', resourceId: 'd-empty', tags: [{ key: 'env', value: 'prod' }] },
    ]);
    // Act
    const response = await handler({ Records: [record(body)] }, context());
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    const byOutcome = outcomes(lines).map((l) => [
      l.outcome,
      (l.error as { message?: string } | undefined)?.message ?? '',
    ]);
    expect(byOutcome).toStrictEqual([
      ['rejected', expect.stringContaining('resources[0].tags: tags must be an array')],
      ['rejected', expect.stringContaining('resources[1].tags[0].value: value must be a string; to remove the key')],
      ['rejected', expect.stringContaining('resources[2].tags[0].key: key must not be empty')],
      ['rejected', expect.stringContaining('resources[3].resourceId: resourceId must be a string; got 123')],
      [
        'rejected',
        expect.stringMatching(
          /resources\[4\]\.tags\[0\]\.key: key must be a string; got 4.*resources\[4\]\.tags\[0\]\.value: value must be a string; got 5/,
        ),
      ],
      ['removed', ''],
    ]);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-empty')).toStrictEqual({ stage: '' });
    expect(emulator.stats().requests).toBe(1);
  });

  it('merges the same resource named 1 000 times into one outcome and the fewest calls', async () => {
    // Prepare: 1 000 entries for one instance, cycling through twelve keys
    const { handler, lines } = await setup();
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      resourceType: 'instance',
      resourceId: 'i-many',
      tags: [{ key: `t${i % 12}` }],
    }));
    // Act
    const response = await handler({ Records: [record(manifest(entries))] }, context());
    // Assess
    expect(response.batchItemFailures).toStrictEqual([]);
    expect(outcomes(lines)).toMatchObject([{ outcome: 'removed', calls: 3 }]);
    expect(emulator.getTags('cn-hangzhou', 'instance', 'i-many')).toStrictEqual({});
    expect(emulator.stats().accepted).toBe(3);
  });
});
