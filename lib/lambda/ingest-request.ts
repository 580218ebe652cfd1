/** Checks an authenticated ingest request and splits its body into the events to enqueue. */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { escapeJsonText, sqsBody } from '../aws/sqs-body.ts';
import { formatIssues, type ValidationIssue } from '../core/errors.ts';
import { cloudEventIssues } from '../core/events/cloud-event.ts';
import { capIssues } from '../core/manifest/issues.ts';

/** Largest body accepted, in bytes after base64 decoding (inclusive): EventBridge's 256 KiB event limit. */
export const MAX_INGEST_BODY_BYTES = 262_144;

// One absurd batch must not make an absurd response line.
const MAX_ISSUES_REPORTED = 10;

/** The request's events, each as its own JSON text, or the refusal to answer with. */
export type IngestRequestCheck =
  | { readonly ok: true; readonly events: readonly string[] }
  | { readonly ok: false; readonly statusCode: 400 | 405 | 413; readonly message: string };

/**
 * Method, size and shape, in that order: only POST; at most {@link MAX_INGEST_BODY_BYTES}; JSON holding one
 * CloudEvent or a non-empty array of them, every one valid, or the whole request is refused.
 */
export function checkIngestRequest(event: LambdaFunctionURLEvent): IngestRequestCheck {
  if (event.requestContext.http.method.toUpperCase() !== 'POST') {
    return { ok: false, statusCode: 405, message: 'method not allowed; use POST' };
  }
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_INGEST_BODY_BYTES) {
    return { ok: false, statusCode: 413, message: `body exceeds ${MAX_INGEST_BODY_BYTES} bytes` };
  }
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which must not be echoed.
    return { ok: false, statusCode: 400, message: 'body is not UTF-8 JSON' };
  }
  const issues = shapeIssues(value);
  if (issues.length > 0) {
    return { ok: false, statusCode: 400, message: formatIssues(capIssues(issues, MAX_ISSUES_REPORTED, '')) };
  }
  // A single event goes on as it came; a batch's members are re-serialised one by one (same content,
  // whitespace aside), as there is no way to slice the original text without a second parser. Either way the
  // body is escaped to plain ASCII, which any SQS accepts (lib/aws/sqs-body.ts); JSON.parse reads the same.
  return { ok: true, events: Array.isArray(value) ? value.map((e) => sqsBody(e)) : [escapeJsonText(text)] };
}

function shapeIssues(value: unknown): ValidationIssue[] {
  if (!Array.isArray(value)) {
    if (typeof value !== 'object' || value === null) {
      return [{ path: '', reason: 'must be a CloudEvent object or an array of them' }];
    }
    return cloudEventIssues(value);
  }
  if (value.length === 0) return [{ path: '', reason: 'must hold at least one CloudEvent' }];
  return value.flatMap((item, index) => cloudEventIssues(item, [index]));
}
