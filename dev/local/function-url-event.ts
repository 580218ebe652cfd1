// Dev tooling only: the request a Lambda Function URL hands its function, built from a plain HTTP request.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { LambdaFunctionURLEvent } from 'aws-lambda';

/** One HTTP request as the local server read it. */
export interface HttpRequestParts {
  readonly method: string;
  /** The request target: path and query, e.g. `/?a=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The peer's address; an IPv4-mapped IPv6 address is reported as plain IPv4, as AWS does. */
  readonly sourceIp: string;
  readonly receivedAtMs: number;
}

/** The made-up function URL id the local events carry (`<id>.lambda-url.<region>.on.aws`). */
const LOCAL_URL_ID = 'tagcleanuplocalingest';

// Content types the Function URL passes as text; every other body arrives base64-encoded (AWS docs,
// "Invoking Lambda function URLs": isBase64Encoded is true for a binary body).
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)\b|[^;]*\+(json|xml)\b)/i;

/**
 * A payload format 2.0 event as a Lambda Function URL builds it: header names lower-cased and repeated
 * values joined by commas, cookies split out, the query parsed, the body as text for text types (and valid
 * UTF-8) or base64 otherwise, and `requestContext.http.sourceIp` from the connection.
 */
export function functionUrlEvent(request: HttpRequestParts, region = 'us-east-1'): LambdaFunctionURLEvent {
  const target = new URL(request.url, 'http://localhost');
  const headers = flattenHeaders(request.headers);
  const cookies = headers.cookie?.split(/;\s*/).filter((c) => c !== '');
  delete headers.cookie;
  const query = queryParameters(target.searchParams);
  const domainName = `${LOCAL_URL_ID}.lambda-url.${region}.on.aws`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: target.pathname,
    rawQueryString: target.search.slice(1),
    ...(cookies !== undefined && cookies.length > 0 && { cookies }),
    headers: { ...headers, host: domainName },
    ...(query !== undefined && { queryStringParameters: query }),
    requestContext: {
      accountId: 'anonymous',
      apiId: LOCAL_URL_ID,
      domainName,
      domainPrefix: LOCAL_URL_ID,
      http: {
        method: request.method.toUpperCase(),
        path: target.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp.replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(request.receivedAtMs),
      timeEpoch: request.receivedAtMs,
    },
    ...encodeBody(request.body, headers['content-type']),
  };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function queryParameters(params: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, value] of params) out[name] = name in out ? `${out[name]},${value}` : value;
  return Object.keys(out).length === 0 ? undefined : out;
}

function encodeBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (contentType !== undefined && TEXT_TYPE.test(contentType)) {
    try {
      return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: pass the bytes through unchanged, as base64.
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time`'s format: `30/Nov/2026:10:00:00 +0000`. */
function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}
