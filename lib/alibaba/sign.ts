import { createHmac } from 'node:crypto';

/**
 * Alibaba RPC "signature method 1.0" (HMAC-SHA1), as pure functions: no clock, no nonce, no I/O.
 * Source: the ECS API signing doc; vectors in test/sign.test.ts.
 */

/** Percent-encodes per RFC 3986 unreserved set: only `A-Z a-z 0-9 - _ . ~` stay literal. */
export function percentEncode(value: string): string {
  // encodeURIComponent leaves ! ' ( ) * alone; the RPC signer must encode them too.
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parameters sorted by encoded name (plain code-unit order) and joined as `name=value&...`. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .filter(([name]) => name !== 'Signature')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** `METHOD&%2F&percentEncode(canonicalQuery)`: the canonical query is encoded a second time. */
export function stringToSign(method: 'GET' | 'POST', params: Readonly<Record<string, string>>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** base64(HMAC-SHA1(secret + '&', stringToSign)). */
export function signParams(
  method: 'GET' | 'POST',
  params: Readonly<Record<string, string>>,
  accessKeySecret: string,
): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, params), 'utf8').digest('base64');
}

/** RPC timestamps are UTC with second precision: `YYYY-MM-DDThh:mm:ssZ`. */
export function formatTimestamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}
