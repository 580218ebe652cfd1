import { describe, expect, it } from 'vitest';
import { loadIngestConfig, loadSelfPrincipalId } from '../../lib/config.ts';
import { ConfigError } from '../../lib/core/errors.ts';
import { cacheToken, headerValue, ingestTokenSource, tokenMatches } from '../../lib/lambda/ingest-auth.ts';

const QUEUE = 'http://127.0.0.1:1/000000000000/events';

describe('tokenMatches', () => {
  it.each([
    ['the same token', 's3cret-token', true],
    ['a different token of the same length', 's3cret-tokem', false],
    ['a prefix of the token', 's3cret', false],
    ['the token with more after it', 's3cret-token-and-more', false],
    ['an empty string', '', false],
    ['no header at all', undefined, false],
  ])('answers %s with %s', (_what, presented, expected) => {
    // Act
    const matches = tokenMatches(presented, 's3cret-token');
    // Assess
    expect(matches).toBe(expected);
  });
});

describe('headerValue', () => {
  it('finds a header whatever the case of its name', () => {
    // Act
    const value = headerValue({ 'X-Tag-Cleanup-Token': 'abc' }, 'x-tag-cleanup-token');
    // Assess
    expect(value).toBe('abc');
  });

  it('is undefined without headers', () => {
    // Act
    const value = headerValue(undefined, 'x-tag-cleanup-token');
    // Assess
    expect(value).toBeUndefined();
  });
});

describe('ingestTokenSource', () => {
  it('gives the local token', async () => {
    // Act
    const token = await ingestTokenSource({ ingestToken: 'local-token' })();
    // Assess
    expect(token).toBe('local-token');
  });

  it('refuses with a ConfigError naming both variables when no token is configured', async () => {
    // Act
    const read = ingestTokenSource({})();
    // Assess
    await expect(read).rejects.toThrow(ConfigError);
    await expect(read).rejects.toThrow(/TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM.*TAG_CLEANUP_INGEST_TOKEN/);
  });
});

describe('cacheToken', () => {
  it('reads the token once however often it is asked', async () => {
    // Prepare
    let reads = 0;
    const token = cacheToken(async () => {
      reads += 1;
      return 't';
    });
    // Act
    await Promise.all([token(), token()]);
    await token();
    // Assess
    expect(reads).toBe(1);
  });

  it('does not remember a failed read', async () => {
    // Prepare
    let reads = 0;
    const token = cacheToken(async () => {
      reads += 1;
      if (reads === 1) throw new Error('extension not ready');
      return 't';
    });
    // Act
    const first = token();
    await expect(first).rejects.toThrow('extension not ready');
    const second = await token();
    // Assess
    expect(second).toBe('t');
  });

  it('treats an empty token as not configured', async () => {
    // Prepare
    const token = cacheToken(async () => '');
    // Act
    const read = token();
    // Assess
    await expect(read).rejects.toThrow(ConfigError);
  });
});

describe('loadIngestConfig', () => {
  it('reads the queue, the SSM parameter name and the local token', () => {
    // Prepare
    const env = {
      TAG_CLEANUP_EVENTS_QUEUE_URL: QUEUE,
      TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM: '/tag-cleanup/ingest-token',
      TAG_CLEANUP_INGEST_TOKEN: ' padded ',
    };
    // Act
    const config = loadIngestConfig(env);
    // Assess
    expect(config).toMatchObject({
      eventsQueueUrl: QUEUE,
      ssmIngestTokenParam: '/tag-cleanup/ingest-token',
      ingestToken: ' padded ',
    });
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('leaves the token out when it is %s', (_w, raw) => {
    // Act
    const config = loadIngestConfig({ TAG_CLEANUP_EVENTS_QUEUE_URL: QUEUE, TAG_CLEANUP_INGEST_TOKEN: raw });
    // Assess
    expect(config.ingestToken).toBeUndefined();
    expect(config.ssmIngestTokenParam).toBeUndefined();
  });

  it('names the events queue variable when it is missing', () => {
    // Act
    const load = () => loadIngestConfig({ TAG_CLEANUP_INGEST_TOKEN: 't' });
    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/TAG_CLEANUP_EVENTS_QUEUE_URL/);
  });

  it('refuses an events queue URL that is not http(s)', () => {
    // Act
    const load = () => loadIngestConfig({ TAG_CLEANUP_EVENTS_QUEUE_URL: 'ftp://queue' });
    // Assess
    expect(load).toThrow(/TAG_CLEANUP_EVENTS_QUEUE_URL must be an http\(s\) URL/);
  });
});

describe('loadSelfPrincipalId', () => {
  it.each([
    ['a principal id', ' 2064001 ', '2064001'],
    ['blank', '  ', undefined],
    ['unset', undefined, undefined],
  ])('reads %s', (_what, raw, expected) => {
    // Act
    const id = loadSelfPrincipalId({ TAG_CLEANUP_SELF_PRINCIPAL: raw });
    // Assess
    expect(id).toBe(expected);
  });
});
