import { afterEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../dev/emulator/server.ts';
import { EcsClient, parseResponse } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { ApiError, CredentialsError, classifyError, type ErrorClass, NetworkError } from '../../lib/core/errors.ts';
import type { RemoveTagsRequest } from '../../lib/core/ports.ts';
import {
  EMULATOR_CREDENTIALS,
  inventory,
  resource,
  startRawServer,
  startRecordingProxy,
  startTestEcs,
  testClient,
} from '../support/ecs.ts';

const request = (resourceId: string, tags: RemoveTagsRequest['tags']): RemoveTagsRequest => ({
  regionId: 'cn-hangzhou',
  resourceType: 'disk',
  resourceId,
  tags,
});

/** Awaits `promise` and returns what it rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('EcsClient against the emulator', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function setUp(
    resources = [resource('d-1', { env: 'dev', owner: 'alice', team: 'web' })],
    options: Parameters<typeof startTestEcs>[1] = {},
  ): Promise<RunningEmulator> {
    const emulator = await startTestEcs(inventory(...resources), options);
    cleanups.push(() => emulator.close());
    return emulator;
  }
  function client(...args: Parameters<typeof testClient>): EcsClient {
    const c = testClient(...args);
    cleanups.push(() => c.close());
    return c;
  }

  it('removes tags with an accepted RemoveTags call and returns its RequestId', async () => {
    // Prepare
    const emulator = await setUp();
    // Act
    const result = await client(emulator.url).removeTags(
      request('d-1', [{ key: 'env' }, { key: 'owner', value: 'alice' }]),
    );
    // Assess
    expect(result.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ team: 'web' });
    expect(emulator.stats().calls.map((c) => c.requestId)).toStrictEqual([result.requestId]);
  });

  it('sends a POST form body to / with Format=JSON and the common parameters', async () => {
    // Prepare
    const emulator = await setUp();
    const proxy = await startRecordingProxy(emulator.url);
    cleanups.push(() => proxy.close());
    // Act
    await client(proxy.url).removeTags(request('d-1', [{ key: 'env' }]));
    // Assess
    const params = proxy.requests[0]?.params;
    expect(params?.get('Format')).toBe('JSON');
    expect(params?.get('Version')).toBe('2014-05-26');
    expect(params?.get('SignatureMethod')).toBe('HMAC-SHA1');
    expect(params?.get('SignatureVersion')).toBe('1.0');
    expect(params?.get('Action')).toBe('RemoveTags');
    expect(params?.get('Tag.1.Key')).toBe('env');
    expect(params?.has('Tag.1.Value')).toBe(false);
    expect(params?.has('SecurityToken')).toBe(false);
  });

  it('signs tags with spaces, reserved and non-ASCII characters so that the server agrees', async () => {
    // Prepare
    const tricky = { 'a b': '1', "k*(!)'~": 'x', ключ: 'значение', 'x+y&z=1': 'v/w', 雲: '☁️' };
    const emulator = await setUp([resource('d-1', { ...tricky, keep: 'yes' })]);
    const tags = Object.entries(tricky).map(([key, value]) => ({ key, value }));
    // Act
    await client(emulator.url).removeTags(request('d-1', tags));
    // Assess
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).toStrictEqual({ keep: 'yes' });
  });

  it('signs every call with a fresh nonce, so two calls in the same second both succeed', async () => {
    // Prepare
    const emulator = await setUp();
    const fixedNow = Date.now();
    const c = client(emulator.url, EMULATOR_CREDENTIALS, { now: () => fixedNow });
    // Act
    const first = await c.removeTags(request('d-1', [{ key: 'env' }]));
    const second = await c.removeTags(request('d-1', [{ key: 'owner' }]));
    // Assess
    expect(first.requestId).not.toBe(second.requestId);
    expect(emulator.stats().ok).toBe(2);
  });

  it('is refused with SignatureNonceUsed when a nonce repeats (so retries must never reuse one)', async () => {
    // Prepare
    const emulator = await setUp();
    const c = client(emulator.url, EMULATOR_CREDENTIALS, { nonce: () => 'the-same-nonce' });
    await c.removeTags(request('d-1', [{ key: 'env' }]));
    // Act
    const error = await rejection(c.removeTags(request('d-1', [{ key: 'owner' }])));
    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('SignatureNonceUsed');
    expect(classifyError(error)).toBe('transient');
  });

  it('sends SecurityToken with STS credentials and is accepted by an STS account', async () => {
    // Prepare
    const sts = { accessKeyId: 'STS.id', accessKeySecret: 'sts-secret', securityToken: 'sts-token-value' };
    const emulator = await setUp(undefined, { accounts: [sts] });
    // Act
    const result = await client(emulator.url, sts).removeTags(request('d-1', [{ key: 'env' }]));
    // Assess
    expect(result.requestId).not.toBe('');
    expect(emulator.getTags('cn-hangzhou', 'disk', 'd-1')).not.toHaveProperty('env');
  });

  it('is refused with MissingSecurityToken (fatal) when the STS token is left out', async () => {
    // Prepare
    const sts = { accessKeyId: 'STS.id', accessKeySecret: 'sts-secret', securityToken: 'sts-token-value' };
    const emulator = await setUp(undefined, { accounts: [sts] });
    const withoutToken = { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret };
    // Act
    const error = await rejection(client(emulator.url, withoutToken).removeTags(request('d-1', [{ key: 'env' }])));
    // Assess
    expect((error as ApiError).code).toBe('MissingSecurityToken');
    expect(classifyError(error)).toBe('fatal');
  });

  it('turns an error document into an ApiError with code, HTTP status, RequestId and message', async () => {
    // Prepare
    const emulator = await setUp();
    // Act
    const error = await rejection(client(emulator.url).removeTags(request('d-missing', [{ key: 'env' }])));
    // Assess
    expect(error).toBeInstanceOf(ApiError);
    const api = error as ApiError;
    expect(api.code).toBe('InvalidResourceId.NotFound');
    expect(api.httpStatus).toBe(404);
    expect(api.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(api.apiMessage).toContain('ResourceId');
    expect(api.message).toBe(`InvalidResourceId.NotFound: ${api.apiMessage}`);
    expect(api.retryAfterMs).toBeUndefined();
  });

  it('reads x-acs-retry-after into retryAfterMs on a throttled answer', async () => {
    // Prepare
    const emulator = await setUp(undefined, { maxQps: 0.001, burst: 1, retryAfterMs: 1234 });
    const c = client(emulator.url);
    await c.removeTags(request('d-1', [{ key: 'env' }]));
    // Act
    const error = await rejection(c.removeTags(request('d-1', [{ key: 'owner' }])));
    // Assess
    expect((error as ApiError).code).toBe('Throttling.User');
    expect((error as ApiError).retryAfterMs).toBe(1234);
    expect(classifyError(error)).toBe('throttle');
  });

  it('turns a connection reset into a transient NetworkError', async () => {
    // Prepare
    const emulator = await setUp(undefined, { faults: { resetRate: 1 } });
    // Act
    const error = await rejection(client(emulator.url).removeTags(request('d-1', [{ key: 'env' }])));
    // Assess
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe('ECONNRESET');
    expect(classifyError(error)).toBe('transient');
    expect(emulator.stats().resets).toBe(1);
  });

  it('gives up on a hung request with a NetworkError Timeout after the per-request timeout', async () => {
    // Prepare
    const emulator = await setUp(undefined, { faults: { hangRate: 1 } });
    const c = client(emulator.url, EMULATOR_CREDENTIALS, { requestTimeoutMs: 60_000 });
    // Act: the per-call timeout overrides the client's one
    const error = await rejection(c.removeTags(request('d-1', [{ key: 'env' }]), { timeoutMs: 50 }));
    // Assess
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe('Timeout');
    expect(classifyError(error)).toBe('transient');
  });

  it('uses the client-wide request timeout when the call sets none', async () => {
    // Prepare
    const emulator = await setUp(undefined, { faults: { hangRate: 1 } });
    const c = client(emulator.url, EMULATOR_CREDENTIALS, { requestTimeoutMs: 50 });
    // Act
    const error = await rejection(c.removeTags(request('d-1', [{ key: 'env' }])));
    // Assess
    expect((error as NetworkError).code).toBe('Timeout');
  });

  it('aborts a request in flight when its signal aborts', async () => {
    // Prepare
    const emulator = await setUp(undefined, { faults: { hangRate: 1 } });
    const controller = new AbortController();
    // Act
    const pending = client(emulator.url).removeTags(request('d-1', [{ key: 'env' }]), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await rejection(pending);
    // Assess
    expect((error as NetworkError).code).toBe('Aborted');
  });

  it('surfaces a credentials failure as the CredentialsError it is, without sending anything', async () => {
    // Prepare
    const emulator = await setUp();
    const c = new EcsClient({
      endpoint: emulator.url,
      credentials: async () => {
        throw new CredentialsError('no credentials');
      },
    });
    cleanups.push(() => c.close());
    // Act
    const error = await rejection(c.removeTags(request('d-1', [{ key: 'env' }])));
    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(emulator.stats().requests).toBe(0);
  });
});

describe('EcsClient against answers the emulator never gives', () => {
  it('turns a non-JSON 5xx into a transient ApiError coded Http<status>', async () => {
    // Prepare
    const server = await startRawServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
    });
    const c = new EcsClient({ endpoint: server.url, credentials: staticCredentials(EMULATOR_CREDENTIALS) });
    try {
      // Act
      const error = await rejection(c.removeTags(request('d-1', [{ key: 'env' }])));
      // Assess
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('Http502');
      expect((error as ApiError).httpStatus).toBe(502);
      expect(classifyError(error)).toBe('transient');
    } finally {
      c.close();
      await server.close();
    }
  });

  it('treats a 200 whose body is not JSON as an error, not as success', async () => {
    // Prepare
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    });
    const c = new EcsClient({ endpoint: server.url, credentials: staticCredentials(EMULATOR_CREDENTIALS) });
    try {
      // Act
      const error = await rejection(c.removeTags(request('d-1', [{ key: 'env' }])));
      // Assess
      expect((error as ApiError).code).toBe('Http200');
    } finally {
      c.close();
      await server.close();
    }
  });
});

describe('parseResponse', () => {
  it('ignores a malformed x-acs-retry-after', () => {
    // Prepare
    const body = JSON.stringify({ Code: 'Throttling.User', Message: 'slow down', RequestId: 'R1' });
    // Act
    let caught: unknown;
    try {
      parseResponse(400, { 'x-acs-retry-after': 'soon' }, body);
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).retryAfterMs).toBeUndefined();
    expect((caught as ApiError).requestId).toBe('R1');
  });

  it('treats a 2xx document that carries a Code as an error', () => {
    // Prepare
    const body = JSON.stringify({ Code: 'InternalError', Message: 'oops', RequestId: 'R2' });
    // Act
    const act = () => parseResponse(200, {}, body);
    // Assess
    expect(act).toThrow(ApiError);
  });
});

describe('classifyError', () => {
  const api = (code: string, httpStatus = 400) => new ApiError(code, httpStatus, 'R', 'message');
  it.each<[string, number, ErrorClass]>([
    ['Throttling', 400, 'throttle'],
    ['Throttling.User', 400, 'throttle'],
    ['Throttling.Api', 400, 'throttle'],
    ['InternalError', 500, 'transient'],
    ['UnknownError', 500, 'transient'],
    ['ServiceUnavailable', 503, 'transient'],
    ['SignatureNonceUsed', 400, 'transient'],
    ['Http500', 500, 'transient'],
    ['Http502', 502, 'transient'],
    ['Http503', 503, 'transient'],
    ['Http504', 504, 'transient'],
    ['InvalidTagCount', 400, 'permanent'],
    ['InvalidResourceId.NotSupported', 403, 'permanent'],
    ['InvalidResourceId.NotFound', 404, 'permanent'],
    ['InvalidRegionId.NotFound', 404, 'permanent'],
    ['InvalidResourceType.NotFound', 404, 'permanent'],
    ['InvalidParameter', 400, 'permanent'],
    ['MissingParameter', 400, 'permanent'],
    ['Forbidden.RAM', 403, 'permanent'],
    ['Forbidden', 403, 'permanent'],
    ['SignatureDoesNotMatch', 400, 'fatal'],
    ['IncompleteSignature', 400, 'fatal'],
    ['InvalidAccessKeyId.NotFound', 404, 'fatal'],
    ['InvalidAccessKeyId.Inactive', 400, 'fatal'],
    ['Forbidden.AccessKeyDisabled', 403, 'fatal'],
    ['InvalidSecurityToken.Expired', 400, 'fatal'],
    ['InvalidSecurityToken.Mismatch', 400, 'fatal'],
    ['InvalidSecurityToken.Malformed', 400, 'fatal'],
    ['MissingSecurityToken', 400, 'fatal'],
    ['InvalidTimeStamp.Expired', 400, 'fatal'],
    ['InvalidTimeStamp.Format', 400, 'fatal'],
    ['SomethingNew', 400, 'permanent'],
    ['SomethingNew', 500, 'transient'],
    // Code wins over status: a fatal code served with a 5xx is still fatal.
    ['SignatureDoesNotMatch', 500, 'fatal'],
  ])('classifies %s (HTTP %i) as %s', (code, status, expected) => {
    // Prepare
    const error = api(code, status);
    // Act
    const actual = classifyError(error);
    // Assess
    expect(actual).toBe(expected);
  });

  it.each<[string, unknown, ErrorClass]>([
    ['a reset', new NetworkError('ECONNRESET', 'socket hang up'), 'transient'],
    ['a timeout', new NetworkError('Timeout', 'no response'), 'transient'],
    ['missing credentials', new CredentialsError('none'), 'fatal'],
    ['a bug of ours', new TypeError('x is undefined'), 'fatal'],
  ])('classifies %s', (_name, error, expected) => {
    // Act
    const actual = classifyError(error);
    // Assess
    expect(actual).toBe(expected);
  });
});
