import { describe, expect, it } from 'vitest';
import { canonicalQuery, formatTimestamp, percentEncode, signParams } from '../../lib/alibaba/sign.ts';

const officialExample = {
  Timestamp: '2016-02-23T12:46:24Z',
  Format: 'XML',
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  Version: '2014-05-26',
  SignatureVersion: '1.0',
};

describe('signParams', () => {
  it.each([
    ['GET', 'OLeaidS1JvxuMvnyHOwuJ+uX5qY='],
    ['POST', 'MxbnVAM4w6sft9xjVpe/GCKueuk='],
  ] as const)('matches the official ECS doc example for %s', (method, expected) => {
    expect(signParams(method, officialExample, 'testsecret')).toBe(expected);
  });

  it('matches the openapi-util unit test vector', () => {
    expect(signParams('GET', { query: 'test', body: 'test' }, 'secret')).toBe('XlUyV4sXjOuX5FnjUz9IF9tm5rU=');
  });

  it('ignores an existing Signature parameter', () => {
    const withSignature = { ...officialExample, Signature: 'stale' };
    expect(signParams('GET', withSignature, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('changes when any parameter changes', () => {
    expect(signParams('GET', { ...officialExample, SignatureNonce: 'other' }, 'testsecret')).not.toBe(
      'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    );
  });
});

describe('percentEncode', () => {
  it.each([
    [' ', '%20'],
    ['*', '%2A'],
    ['~', '~'],
    ["!'()", '%21%27%28%29'],
    ['a-b_c.d', 'a-b_c.d'],
    ['é', '%C3%A9'],
    ['/', '%2F'],
  ])('encodes %j as %s', (raw, encoded) => {
    expect(percentEncode(raw)).toBe(encoded);
  });
});

describe('canonicalQuery', () => {
  it('sorts by code unit so Tag.10 sorts between Tag.1 and Tag.2', () => {
    const query = canonicalQuery({ 'Tag.2.Key': 'b', 'Tag.10.Key': 'c', 'Tag.1.Key': 'a' });
    expect(query).toBe('Tag.1.Key=a&Tag.10.Key=c&Tag.2.Key=b');
  });
});

describe('formatTimestamp', () => {
  it('drops milliseconds', () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 27, 1, 2, 3, 456))).toBe('2026-11-27T01:02:03Z');
  });
});
