import { describe, expect, it } from 'vitest';
import { urlFlag } from '../../lib/cli/options.ts';
import { httpUrl, loadConfig, requireQueues } from '../../lib/config.ts';
import { ConfigError } from '../../lib/core/errors.ts';

/** Calls loadConfig and returns the ConfigError message it throws. */
function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    // Act
    const config = loadConfig({});
    // Assess
    expect(config).toStrictEqual({
      concurrency: 64,
      maxAttempts: 6,
      requestTimeoutMs: 10_000,
      maxResources: 10_000,
      logLevel: 'info',
      deadlineMarginMs: 15_000,
      maxContinuations: 8,
      maxMessageBytes: 1_046_528,
      sqsEndpointOverridden: false,
    });
  });

  it('reads every variable when set', () => {
    // Prepare
    const env = {
      TAG_CLEANUP_ECS_ENDPOINT: 'http://127.0.0.1:9000/',
      TAG_CLEANUP_MAX_QPS: '2.5',
      TAG_CLEANUP_CONCURRENCY: '8',
      TAG_CLEANUP_MAX_ATTEMPTS: '3',
      TAG_CLEANUP_REQUEST_TIMEOUT_MS: '1500',
      TAG_CLEANUP_MAX_RESOURCES: '50',
      TAG_CLEANUP_LOG_LEVEL: 'DEBUG',
      TAG_CLEANUP_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/work',
      TAG_CLEANUP_DLQ_URL: 'http://127.0.0.1:9324/000000000000/dlq',
      TAG_CLEANUP_DEADLINE_MARGIN_MS: '5000',
      TAG_CLEANUP_MAX_CONTINUATIONS: '2',
      TAG_CLEANUP_MAX_MESSAGE_BYTES: '262144',
      TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM: '/tag-cleanup/id',
      TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM: '/tag-cleanup/secret',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
    };
    // Act
    const config = loadConfig(env);
    // Assess
    expect(config).toStrictEqual({
      ecsEndpoint: 'http://127.0.0.1:9000',
      maxQps: 2.5,
      concurrency: 8,
      maxAttempts: 3,
      requestTimeoutMs: 1500,
      maxResources: 50,
      logLevel: 'debug',
      queueUrl: 'http://127.0.0.1:9324/000000000000/work',
      dlqUrl: 'http://127.0.0.1:9324/000000000000/dlq',
      deadlineMarginMs: 5000,
      maxContinuations: 2,
      maxMessageBytes: 262_144,
      ssmAccessKeyIdParam: '/tag-cleanup/id',
      ssmAccessKeySecretParam: '/tag-cleanup/secret',
      sqsEndpointOverridden: true,
    });
  });

  it('treats an empty value as unset', () => {
    // Act
    const config = loadConfig({ TAG_CLEANUP_CONCURRENCY: '', TAG_CLEANUP_MAX_QPS: ' ', TAG_CLEANUP_ECS_ENDPOINT: '' });
    // Assess
    expect(config.concurrency).toBe(64);
    expect(config).not.toHaveProperty('maxQps');
    expect(config).not.toHaveProperty('ecsEndpoint');
  });

  it.each([
    ['TAG_CLEANUP_ECS_ENDPOINT', 'not a url'],
    ['TAG_CLEANUP_ECS_ENDPOINT', 'ftp://example.test'],
    ['TAG_CLEANUP_MAX_QPS', 'ten'],
    ['TAG_CLEANUP_MAX_QPS', '0'],
    ['TAG_CLEANUP_MAX_QPS', '-3'],
    ['TAG_CLEANUP_CONCURRENCY', 'many'],
    ['TAG_CLEANUP_CONCURRENCY', '2.5'],
    ['TAG_CLEANUP_CONCURRENCY', '0'],
    ['TAG_CLEANUP_MAX_ATTEMPTS', '-1'],
    ['TAG_CLEANUP_REQUEST_TIMEOUT_MS', '10s'],
    ['TAG_CLEANUP_MAX_RESOURCES', 'lots'],
    ['TAG_CLEANUP_LOG_LEVEL', 'verbose'],
    ['TAG_CLEANUP_QUEUE_URL', 'queue'],
    ['TAG_CLEANUP_DLQ_URL', 'dlq'],
    ['TAG_CLEANUP_DEADLINE_MARGIN_MS', 'soon'],
    ['TAG_CLEANUP_MAX_CONTINUATIONS', 'NaN'],
    ['TAG_CLEANUP_MAX_MESSAGE_BYTES', '1MB'],
  ])('names %s and the bad value %j', (name, value) => {
    // Act
    const message = configError({ [name]: value });
    // Assess
    expect(message).toContain(name);
    expect(message).toContain(`'${value}'`);
  });

  it('names every bad variable at once', () => {
    // Act
    const message = configError({ TAG_CLEANUP_MAX_QPS: 'ten', TAG_CLEANUP_CONCURRENCY: 'many' });
    // Assess
    expect(message).toContain("TAG_CLEANUP_MAX_QPS must be a positive number (got 'ten')");
    expect(message).toContain("TAG_CLEANUP_CONCURRENCY must be a positive whole number (got 'many')");
  });

  it('wants both SSM parameter names or neither', () => {
    // Act
    const message = configError({ TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM: '/id' });
    // Assess
    expect(message).toContain('TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM');
  });

  it('ignores variables it does not own', () => {
    // Act
    const config = loadConfig({ PATH: '/bin', TAG_CLEANUP_UNKNOWN: 'x' });
    // Assess
    expect(config.concurrency).toBe(64);
  });
});

describe('requireQueues', () => {
  it('names the missing queue variables', () => {
    // Prepare
    const config = loadConfig({ TAG_CLEANUP_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/work' });
    // Act
    const act = () => requireQueues(config);
    // Assess
    expect(act).toThrow(/TAG_CLEANUP_DLQ_URL/);
    expect(act).not.toThrow(/TAG_CLEANUP_QUEUE_URL/);
  });

  it('passes a config with both queues', () => {
    // Prepare
    const config = loadConfig({
      TAG_CLEANUP_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/work',
      TAG_CLEANUP_DLQ_URL: 'http://127.0.0.1:9324/000000000000/dlq',
    });
    // Act
    const narrowed = requireQueues(config);
    // Assess
    expect(narrowed.dlqUrl).toBe('http://127.0.0.1:9324/000000000000/dlq');
  });
});

describe('httpUrl', () => {
  it.each([
    ['http://127.0.0.1:4566/', 'http://127.0.0.1:4566'],
    ['https://sqs.example.com/123/queue//', 'https://sqs.example.com/123/queue'],
  ])('accepts %s without its trailing slashes', (raw, expected) => {
    // Act
    const url = httpUrl(raw);
    // Assess
    expect(url).toBe(expected);
  });

  it.each(['ftp://example.com', 'not a url', '127.0.0.1:4566'])('refuses %s', (raw) => {
    // Act
    const url = httpUrl(raw);
    // Assess
    expect(url).toBeUndefined();
  });

  it('gives a variable and a flag the same verdict, each naming itself', () => {
    // Act
    const variable = configError({ TAG_CLEANUP_ECS_ENDPOINT: 'ftp://x' });
    const flag = () => urlFlag('endpoint', 'ftp://x');
    // Assess
    expect(variable).toContain("TAG_CLEANUP_ECS_ENDPOINT must be an http(s) URL (got 'ftp://x')");
    expect(flag).toThrow("--endpoint must be an http(s) URL (got 'ftp://x')");
  });
});
