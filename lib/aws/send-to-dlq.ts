import { SqsSendError } from '../core/errors.ts';
import type { QueueSender } from '../core/ports.ts';
import { utf8Bytes } from './sqs-split.ts';

/** Why a message went to the dead-letter queue. */
export interface DlqReason {
  /** Machine-readable, e.g. `ManifestError` or `ContinuationsExhausted`. */
  readonly code: string;
  readonly message: string;
  /** Where the message came from, e.g. the source message id or queue. */
  readonly source?: string;
}

/** Message attribute names the DLQ hand-off writes. */
export const DLQ_ATTRIBUTES = {
  code: 'tagCleanup.code',
  reason: 'tagCleanup.reason',
  source: 'tagCleanup.source',
} as const;

// Attribute values count against the message size; together they stay well inside ATTRIBUTE_HEADROOM_BYTES.
const MAX_REASON_BYTES = 1024;
const MAX_CODE_BYTES = 200;
const MAX_SOURCE_BYTES = 300;
// SQS refuses these characters in bodies and String attribute values (the allowed set is #x9 | #xA | #xD | #x20..).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class lists the control characters SQS allows
const INVALID_SQS_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** An attribute value SQS accepts: valid characters only, at most `maxBytes` of UTF-8, and never empty. */
export function attributeValue(value: string, maxBytes: number): string {
  const clean = value.replace(INVALID_SQS_CHARS, '\uFFFD');
  if (utf8Bytes(clean) <= maxBytes) return clean === '' ? '-' : clean;
  const ellipsis = '…';
  let room = maxBytes - utf8Bytes(ellipsis);
  let cut = '';
  // Whole code points only, so a multi-byte character is never cut in half.
  for (const ch of clean) {
    room -= utf8Bytes(ch);
    if (room < 0) break;
    cut += ch;
  }
  return `${cut}${ellipsis}`;
}

/**
 * Puts a message on the dead-letter queue with its body unchanged and the reason in message attributes
 * (`tagCleanup.code`, `tagCleanup.reason`, `tagCleanup.source`). Returns the new message id; throws
 * {@link SqsSendError} when it could not be sent, so the caller can leave the record to SQS's redrive.
 */
export async function sendToDlq(
  queue: QueueSender,
  dlqUrl: string,
  originalBody: string,
  reason: DlqReason,
): Promise<string> {
  const attributes: Record<string, string> = {
    [DLQ_ATTRIBUTES.code]: attributeValue(reason.code, MAX_CODE_BYTES),
    [DLQ_ATTRIBUTES.reason]: attributeValue(reason.message, MAX_REASON_BYTES),
    ...(reason.source === undefined
      ? {}
      : { [DLQ_ATTRIBUTES.source]: attributeValue(reason.source, MAX_SOURCE_BYTES) }),
  };
  const result = await queue.send(dlqUrl, [{ body: originalBody, attributes }]);
  const sent = result.sent[0];
  if (sent) return sent.messageId;
  const failure = result.failed[0];
  throw new SqsSendError(failure?.code ?? 'UnknownError', failure?.message ?? 'not sent to the dead-letter queue');
}
