import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultInjector } from '../../dev/emulator/faults.ts';
import { NonceCache } from '../../dev/emulator/nonce-cache.ts';
import {
  type EmulatorOptions,
  type InventoryFile,
  loadInventory,
  parseInventory,
  type RunningEmulator,
} from '../../dev/emulator/server.ts';
import { TokenBucket } from '../../dev/emulator/token-bucket.ts';
import { ConfigError } from '../../lib/core/errors.ts';
import { callEcs, EXAMPLE_INVENTORY_URL, removeTagsParams, startTestEmulator } from '../support/emulator.ts';

// A fixed server clock: timestamps, nonces and flow control never depend on the wall clock.
const T0 = Date.parse('2025-03-01T10:00:00Z');
const MINUTE = 60_000;

let exampleInventory: InventoryFile;
let emulator: RunningEmulator | undefined;
let clockMs = T0;

beforeAll(async () => {
  exampleInventory = await loadInventory(EXAMPLE_INVENTORY_URL);
});

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  clockMs = T0;
});

async function start(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  emulator = await startTestEmulator({ inventory: exampleInventory, now: () => clockMs, ...options });
  return emulator;
}

/** Tags of the example snapshot most tests act on. */
const snapshotTags = (em: RunningEmulator): Record<string, string> | undefined =>
  em.getTags('cn-shenzhen', 'snapshot', 's-946ntx4wr');

describe('emulator RemoveTags semantics', () => {
  it('removes a key-only tag whatever its value', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'owner' }]),
      {
        nowMs: clockMs,
      },
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toStrictEqual({ RequestId: expect.any(String) });
    expect(snapshotTags(em)).toStrictEqual({ test: 'api', env: 'dev' });
  });

  it('removes a key+value tag when the value matches', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test', value: 'api' }]),
      { nowMs: clockMs },
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(snapshotTags(em)).toStrictEqual({ owner: 'alice', env: 'dev' });
  });

  it('leaves a tag whose value does not match, and still answers success', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-hangzhou', 'instance', 'i-bp1web01', [
        { key: 'env', value: 'staging' },
        { key: 'owner', value: 'carol' },
      ]),
      { nowMs: clockMs },
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(em.getTags('cn-hangzhou', 'instance', 'i-bp1web01')).toStrictEqual({
      owner: 'bob',
      team: 'web',
      'cost-center': 'cc-042',
    });
  });

  it('treats removing an absent tag as a success', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'nope' }]),
      {
        nowMs: clockMs,
      },
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(snapshotTags(em)).toStrictEqual({ test: 'api', owner: 'alice', env: 'dev' });
  });

  it('accepts a GET with the parameters in the query', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'env' }]), {
      method: 'GET',
      nowMs: clockMs,
    });
    // Assess
    expect(answer.status).toBe(200);
    expect(snapshotTags(em)).not.toHaveProperty('env');
  });

  it('answers XML when Format is XML', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'env' }]), {
      nowMs: clockMs,
      format: 'XML',
    });
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/<RemoveTagsResponse><RequestId>[0-9A-F-]+<\/RequestId><\/RemoveTagsResponse>$/);
  });

  it('records each applied call with its tags for the stats', async () => {
    // Prepare
    const em = await start();
    const tags = [{ key: 'tmp' }, { key: 'keep', value: 'no' }];
    // Act
    await callEcs(em.url, removeTagsParams('cn-hangzhou', 'disk', 'd-bp1scratch01', tags), { nowMs: clockMs });
    const before = em.stats();
    em.resetStats();
    // Assess
    expect(before).toMatchObject({ requests: 1, ok: 1, accepted: 1 });
    expect(before.calls).toStrictEqual([
      {
        requestId: expect.any(String),
        regionId: 'cn-hangzhou',
        resourceType: 'disk',
        resourceId: 'd-bp1scratch01',
        tags,
        removedKeys: ['tmp'],
        httpStatus: 200,
        atMs: T0,
      },
    ]);
    expect(before.perSecond).toStrictEqual([
      { epochSecond: T0 / 1000, ok: 1, throttled: 0, errors: 0, resets: 0, hangs: 0 },
    ]);
    expect(em.stats()).toMatchObject({ requests: 0, ok: 0, accepted: 0, calls: [] });
  });
});

describe('emulator RemoveTags errors', () => {
  it.each([
    ['six tags', 6, 'InvalidTagCount', 400],
    ['no tags', 0, 'InvalidTagCount', 400],
  ])('refuses %s with %s %i and changes nothing', async (_name, count, code, status) => {
    // Prepare
    const em = await start();
    const tags = Array.from({ length: count }, (_, i) => ({ key: `build-${i + 1}` }));
    // Act
    const answer = await callEcs(em.url, removeTagsParams('cn-hangzhou', 'disk', 'd-bp1scratch01', tags), {
      nowMs: clockMs,
    });
    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ Code: code, RequestId: expect.any(String), HostId: expect.any(String) });
    expect(Object.keys(em.getTags('cn-hangzhou', 'disk', 'd-bp1scratch01') ?? {})).toHaveLength(9);
  });

  it('refuses Tag.6 even when it is the only tag', async () => {
    // Prepare
    const em = await start();
    const params = { ...removeTagsParams('cn-hangzhou', 'disk', 'd-bp1scratch01', []), 'Tag.6.Key': 'tmp' };
    // Act
    const answer = await callEcs(em.url, params, { nowMs: clockMs });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ Code: 'InvalidTagCount' });
  });

  it.each([
    ['an unknown region', 'xx-nowhere-1', 'snapshot', 's-946ntx4wr', 'InvalidRegionId.NotFound', 404],
    ['a capitalised resource type', 'cn-shenzhen', 'Snapshot', 's-946ntx4wr', 'InvalidResourceType.NotFound', 404],
    ['an unknown resource type', 'cn-shenzhen', 'vpc', 's-946ntx4wr', 'InvalidResourceType.NotFound', 404],
    ['an absent resource', 'cn-shenzhen', 'snapshot', 's-doesnotexist', 'InvalidResourceId.NotFound', 404],
    ['a resource in another region', 'cn-hangzhou', 'snapshot', 's-946ntx4wr', 'InvalidResourceId.NotFound', 404],
    ['an unsupported resource', 'cn-hangzhou', 'image', 'm-bp1legacyimg', 'InvalidResourceId.NotSupported', 403],
  ])('answers %s with its ECS code and status', async (_name, regionId, type, id, code, status) => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, removeTagsParams(regionId, type, id, [{ key: 'os' }]), { nowMs: clockMs });
    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ Code: code, Message: expect.any(String), Recommend: expect.any(String) });
    expect(em.stats().accepted).toBe(0);
  });

  it('answers an unknown action with InvalidAction.NotFound 404', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, { Action: 'DescribeInstances', RegionId: 'cn-hangzhou' }, { nowMs: clockMs });
    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ Code: 'InvalidAction.NotFound' });
  });

  it('refuses a missing API parameter with MissingParameter naming it', async () => {
    // Prepare
    const em = await start();
    const { ResourceId: _dropped, ...params } = removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [
      { key: 'env' },
    ]);
    // Act
    const answer = await callEcs(em.url, params, { nowMs: clockMs });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ Code: 'MissingParameter', Message: expect.stringContaining('"ResourceId"') });
  });
});

describe('emulator authentication', () => {
  const params = () => removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'env' }]);

  it('refuses a request without a Signature with MissingParameter', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, params(), { nowMs: clockMs, omit: ['SignatureNonce'] });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ Code: 'MissingParameter', Message: expect.stringContaining('SignatureNonce') });
  });

  it.each([
    ['an unknown AccessKeyId', { accessKeyId: 'someone-else' }, 'InvalidAccessKeyId.NotFound', 404],
    ['a wrong secret', { accessKeySecret: 'not-the-secret' }, 'SignatureDoesNotMatch', 400],
    ['a POST signed as GET', { signAs: 'GET' as const }, 'SignatureDoesNotMatch', 400],
    [
      'a body tampered after signing',
      { tamperBody: (b: string) => b.replace('Tag.1.Key=env', 'Tag.1.Key=test') },
      'SignatureDoesNotMatch',
      400,
    ],
    ['a timestamp 16 minutes old', { nowMs: T0 - 16 * MINUTE }, 'InvalidTimeStamp.Expired', 400],
    ['a timestamp 16 minutes ahead', { nowMs: T0 + 16 * MINUTE }, 'InvalidTimeStamp.Expired', 400],
    ['a timestamp with milliseconds', { timestamp: '2025-03-01T10:00:00.000Z' }, 'InvalidTimeStamp.Format', 400],
    ['an impossible date', { timestamp: '2025-02-30T10:00:00Z' }, 'InvalidTimeStamp.Format', 400],
  ])('refuses %s and changes nothing', async (_name, options, code, status) => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, params(), { nowMs: clockMs, ...options });
    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ Code: code });
    expect(snapshotTags(em)).toHaveProperty('env', 'dev');
  });

  it('accepts a timestamp 14 minutes old', async () => {
    // Prepare
    const em = await start();
    // Act
    const answer = await callEcs(em.url, params(), { nowMs: T0 - 14 * MINUTE });
    // Assess
    expect(answer.status).toBe(200);
  });

  it('refuses a replayed nonce for 31 minutes, then accepts it again', async () => {
    // Prepare
    const em = await start();
    const first = await callEcs(em.url, params(), { nowMs: clockMs, nonce: 'nonce-1' });
    // Act
    clockMs = T0 + 30 * MINUTE;
    const replay = await callEcs(em.url, params(), { nowMs: clockMs, nonce: 'nonce-1' });
    clockMs = T0 + 32 * MINUTE;
    const later = await callEcs(em.url, params(), { nowMs: clockMs, nonce: 'nonce-1' });
    // Assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ Code: 'SignatureNonceUsed' });
    expect(later.status).toBe(200);
  });

  it('does not burn a nonce on a request with a bad signature', async () => {
    // Prepare
    const em = await start();
    await callEcs(em.url, params(), { nowMs: clockMs, nonce: 'nonce-2', accessKeySecret: 'wrong' });
    // Act
    const answer = await callEcs(em.url, params(), { nowMs: clockMs, nonce: 'nonce-2' });
    // Assess
    expect(answer.status).toBe(200);
  });

  describe('with STS credentials', () => {
    const account = { accessKeyId: 'STS.sts-key', accessKeySecret: 'sts-secret', securityToken: 'token-abc' };
    const sts = { accessKeyId: account.accessKeyId, accessKeySecret: account.accessKeySecret };

    it.each([
      ['no token', {}, 'MissingSecurityToken'],
      ['a wrong token', { securityToken: 'token-xyz' }, 'InvalidSecurityToken.Mismatch'],
    ])('refuses a request with %s', async (_name, token, code) => {
      // Prepare
      const em = await start({ accounts: [account] });
      // Act
      const answer = await callEcs(em.url, params(), { nowMs: clockMs, ...sts, ...token });
      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ Code: code });
      expect(snapshotTags(em)).toHaveProperty('env');
    });

    it('accepts the right token', async () => {
      // Prepare
      const em = await start({ accounts: [account] });
      // Act
      const answer = await callEcs(em.url, params(), { nowMs: clockMs, ...sts, securityToken: 'token-abc' });
      // Assess
      expect(answer.status).toBe(200);
      expect(snapshotTags(em)).not.toHaveProperty('env');
    });
  });
});

describe('emulator flow control', () => {
  const tagKeys = ['build-1', 'build-2', 'build-3', 'build-4', 'build-5'];
  const fire = (em: RunningEmulator) =>
    Promise.all(
      tagKeys.map((key) =>
        callEcs(em.url, removeTagsParams('cn-hangzhou', 'disk', 'd-bp1scratch01', [{ key }]), { nowMs: clockMs }),
      ),
    );

  it('throttles calls beyond the burst with Throttling.User and applies only the admitted one', async () => {
    // Prepare: the clock stands still, so the bucket never refills.
    const em = await start({ maxQps: 1, burst: 1 });
    // Act
    const answers = await fire(em);
    // Assess
    const throttled = answers.filter((a) => a.status === 400);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(throttled).toHaveLength(4);
    for (const a of throttled) {
      expect(a.body).toMatchObject({
        Code: 'Throttling.User',
        Message: 'Request was denied due to user flow control.',
      });
      expect(a.headers.get('x-acs-retry-after')).toBeNull();
    }
    const remaining = Object.keys(em.getTags('cn-hangzhou', 'disk', 'd-bp1scratch01') ?? {});
    expect(tagKeys.filter((k) => !remaining.includes(k))).toHaveLength(1);
    expect(em.stats()).toMatchObject({ ok: 1, throttled: 4, accepted: 1, errorsByCode: { 'Throttling.User': 4 } });
  });

  it('admits calls again once the clock refills the bucket', async () => {
    // Prepare
    const em = await start({ maxQps: 2, burst: 1 });
    await fire(em);
    // Act
    clockMs += 500;
    const answer = await callEcs(em.url, removeTagsParams('cn-hangzhou', 'disk', 'd-bp1scratch01', [{ key: 'tmp' }]), {
      nowMs: clockMs,
    });
    // Assess
    expect(answer.status).toBe(200);
  });

  it.each([
    [250, '250'],
    ['auto' as const, '1000'],
  ])('sets x-acs-retry-after when retryAfterMs is %s', async (retryAfterMs, header) => {
    // Prepare
    const em = await start({ maxQps: 1, burst: 1, retryAfterMs });
    // Act
    const answers = await fire(em);
    // Assess
    const throttled = answers.filter((a) => a.status === 400);
    expect(throttled.length).toBeGreaterThan(0);
    for (const a of throttled) expect(a.headers.get('x-acs-retry-after')).toBe(header);
  });

  it('applies setMaxQps at run time and lifts it with undefined', async () => {
    // Prepare
    const em = await start();
    em.setMaxQps(1, 1);
    // Act
    const limited = await fire(em);
    em.setMaxQps(undefined);
    const unlimited = await fire(em);
    // Assess
    expect(limited.filter((a) => a.status === 200)).toHaveLength(1);
    expect(unlimited.every((a) => a.status === 200)).toBe(true);
  });
});

describe('emulator fault injection', () => {
  const call = (em: RunningEmulator) =>
    callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'nope' }]), {
      nowMs: clockMs,
    }).then(
      (a) => String(a.status),
      () => 'reset',
    );

  it('produces the same fault sequence for the same seed', async () => {
    // Prepare
    const faults = { errorRate: 0.3, resetRate: 0.2, applyThen500Rate: 0.1 };
    const run = async () => {
      const em = await start({ faults, seed: 42 });
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i += 1) outcomes.push(await call(em));
      await em.close();
      return outcomes;
    };
    // Act
    const first = await run();
    const second = await run();
    // Assess
    expect(second).toStrictEqual(first);
    expect(new Set(first)).toStrictEqual(new Set(['200', '500', '503', 'reset']));
  });

  it('applies the change before answering 500 in applyThen500 mode', async () => {
    // Prepare
    const em = await start({ faults: { applyThen500Rate: 1 } });
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test' }]),
      {
        nowMs: clockMs,
      },
    );
    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ Code: 'InternalError' });
    expect(snapshotTags(em)).not.toHaveProperty('test');
    expect(em.stats()).toMatchObject({ accepted: 1, calls: [{ httpStatus: 500, removedKeys: ['test'] }] });
  });

  it('changes nothing when it answers an injected error', async () => {
    // Prepare
    const em = await start({ faults: { errorRate: 1 } });
    // Act
    const answer = await callEcs(
      em.url,
      removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test' }]),
      {
        nowMs: clockMs,
      },
    );
    // Assess
    expect([500, 503]).toContain(answer.status);
    expect(snapshotTags(em)).toHaveProperty('test', 'api');
  });

  it('destroys the socket without an answer in reset mode', async () => {
    // Prepare
    const em = await start({ faults: { resetRate: 1 } });
    // Act
    const attempt = callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test' }]), {
      nowMs: clockMs,
    });
    // Assess
    await expect(attempt).rejects.toThrow();
    expect(snapshotTags(em)).toHaveProperty('test', 'api');
    expect(em.stats()).toMatchObject({ resets: 1, accepted: 0 });
  });

  it('closes with a hung request outstanding and drops that request', async () => {
    // Prepare
    const em = await start();
    em.setFaults({ hangRate: 1 });
    const attempt = callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test' }]), {
      nowMs: clockMs,
    });
    const settled = attempt.then(
      () => 'answered',
      () => 'dropped',
    );
    await vi.waitFor(() => expect(em.stats().hangs).toBe(1));
    // Act
    await em.close();
    // Assess
    expect(await settled).toBe('dropped');
    expect(snapshotTags(em)).toHaveProperty('test', 'api');
  });
});

describe('emulator logging', () => {
  it('never logs a secret, a security token or a signature', async () => {
    // Prepare
    const lines: string[] = [];
    const capture = (fields: object, message: string) => lines.push(JSON.stringify({ ...fields, message }));
    const account = { accessKeyId: 'log-key', accessKeySecret: 'log-secret-value', securityToken: 'log-token-value' };
    const em = await start({ accounts: [account], logger: { debug: capture, info: capture, warn: capture } });
    const sts = { accessKeyId: 'log-key', accessKeySecret: 'log-secret-value', nowMs: clockMs };
    const params = removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'env' }]);
    // Act
    const signatures: string[] = [];
    const keepSignature = (body: string) => {
      signatures.push(decodeURIComponent(body.slice(body.indexOf('Signature=') + 'Signature='.length)));
      return body;
    };
    const ok = await callEcs(em.url, params, { ...sts, securityToken: 'log-token-value', tamperBody: keepSignature });
    const bad = await callEcs(em.url, params, {
      ...sts,
      securityToken: 'log-token-value',
      accessKeySecret: 'other',
      tamperBody: keepSignature,
    });
    await em.close();
    // Assess
    expect([ok.status, bad.status]).toStrictEqual([200, 400]);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(signatures).toHaveLength(2);
    const output = lines.join('\n');
    for (const secret of ['log-secret-value', 'log-token-value', ...signatures]) expect(output).not.toContain(secret);
  });
});

describe('emulator inventory', () => {
  it('keeps the example inventory valid', () => {
    // Assess
    expect(exampleInventory.resources.length).toBeGreaterThanOrEqual(12);
  });

  it('does not mutate the inventory it was seeded from', async () => {
    // Prepare
    const em = await start();
    // Act
    await callEcs(em.url, removeTagsParams('cn-shenzhen', 'snapshot', 's-946ntx4wr', [{ key: 'test' }]), {
      nowMs: clockMs,
    });
    // Assess
    expect(exampleInventory.resources[0]?.tags).toHaveProperty('test', 'api');
    expect(em.snapshot().resources[0]?.tags).not.toHaveProperty('test');
  });

  it('keeps a tag named __proto__ as a tag, and removes it on request', async () => {
    // Prepare: JSON.parse makes `__proto__` an own key, as a real inventory file would
    const inventory = parseInventory(
      JSON.parse(
        '{"resources":[{"regionId":"cn-hangzhou","resourceType":"disk","resourceId":"d-p","tags":{"__proto__":"x","a":"1"}}]}',
      ),
    );
    const em = await start({ inventory });
    // Act
    const before = em.getTags('cn-hangzhou', 'disk', 'd-p');
    await callEcs(em.url, removeTagsParams('cn-hangzhou', 'disk', 'd-p', [{ key: '__proto__' }]), { nowMs: clockMs });
    // Assess
    expect(Object.keys(before ?? {})).toStrictEqual(['__proto__', 'a']);
    expect(em.getTags('cn-hangzhou', 'disk', 'd-p')).toStrictEqual({ a: '1' });
  });

  it.each([
    [
      'a bad resource type',
      { resources: [{ regionId: 'cn-hangzhou', resourceType: 'vpc', resourceId: 'v-1', tags: {} }] },
      'resourceType',
    ],
    [
      'a missing tags map',
      { resources: [{ regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1' }] },
      'tags',
    ],
    [
      'a duplicate resource',
      {
        resources: [
          { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1', tags: {} },
          { regionId: 'cn-hangzhou', resourceType: 'disk', resourceId: 'd-1', tags: {} },
        ],
      },
      'appears twice',
    ],
  ])('rejects %s with a ConfigError naming the problem', (_name, data, fragment) => {
    // Act
    const parse = () => parseInventory(data);
    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(fragment);
  });
});

describe('TokenBucket', () => {
  it('refills at the configured rate up to its capacity', () => {
    // Prepare
    let nowMs = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 2, now: () => nowMs });
    // Act
    const burst = [bucket.tryTake(), bucket.tryTake(), bucket.tryTake()];
    nowMs = 100;
    const afterOneToken = [bucket.tryTake(), bucket.tryTake()];
    nowMs = 10_000;
    const afterLongIdle = [bucket.tryTake(), bucket.tryTake(), bucket.tryTake()];
    // Assess
    expect(burst).toStrictEqual([true, true, false]);
    expect(afterOneToken).toStrictEqual([true, false]);
    expect(afterLongIdle).toStrictEqual([true, true, false]);
  });
});

describe('NonceCache', () => {
  it('forgets nonces once the window has passed', () => {
    // Prepare
    const cache = new NonceCache(1000);
    cache.use('a', 0);
    cache.use('b', 500);
    // Act
    cache.use('c', 1200);
    // Assess
    expect(cache.size).toBe(2);
  });
});

describe('FaultInjector', () => {
  it('draws the same schedule for the same seed and a different one for another seed', () => {
    // Prepare
    const faults = { errorRate: 0.25, resetRate: 0.25, hangRate: 0.25, latencyMs: 5, jitterMs: 10 };
    const draw = (seed: number) => {
      const injector = new FaultInjector(faults, seed);
      return Array.from({ length: 50 }, () => injector.next());
    };
    // Act
    const [a, b, c] = [draw(7), draw(7), draw(8)];
    // Assess
    expect(b).toStrictEqual(a);
    expect(c).not.toStrictEqual(a);
    expect(a.every((d) => d.delayMs >= 5 && d.delayMs < 15)).toBe(true);
  });

  it('rejects rates that sum above one', () => {
    // Act
    const make = () => new FaultInjector({ errorRate: 0.6, resetRate: 0.6 }, 1);
    // Assess
    expect(make).toThrow(ConfigError);
  });
});
