import { setTimeout as delay } from 'node:timers/promises';
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { messageOf, SqsSendError } from '../core/errors.ts';
import { utf8Bytes } from './sqs-split.ts';

/** SQS's cap on one SendMessageBatch request: all bodies and attributes together. */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/** SQS's cap on entries per batch request. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** SQS's cap on a message's DelaySeconds (15 minutes). */
export const SQS_MAX_DELAY_SECONDS = 900;

/** A message to send; attributes travel as String message attributes. */
export interface OutgoingMessage {
  readonly body: string;
  /** Clamped to 0..900 and rounded down, per SQS. */
  readonly delaySeconds?: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface SendOptions {
  /** Tries per message, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Byte cap per SendMessageBatch call. @default 1048576 (SQS_MAX_BATCH_BYTES) */
  readonly maxBatchBytes?: number;
  /** First retry delay; doubles per retry. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap on one retry delay. @default 5000 */
  readonly maxDelayMs?: number;
  /** Waits between retry rounds; inject a fake in tests. @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Per-message results, by index into the input array; per-entry failures never throw. */
export interface SendResult {
  readonly sent: { index: number; messageId: string }[];
  readonly failed: { index: number; code: string; message: string }[];
}

// Codes SQS uses for throttling, over the JSON and the legacy query protocol.
const THROTTLE_CODES = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'Throttling',
  'KmsThrottled',
  'KmsThrottlingException',
]);
// Node socket errors that mean "no answer this time", not "wrong request".
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/**
 * Whether a whole-call SDK error is worth another try: throttling, a server fault, a timeout, or a socket
 * error. Client faults (QueueDoesNotExist, AccessDenied, ...) are not, and neither are our own bugs.
 */
export function isRetryableSqsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & {
    code?: unknown;
    $fault?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (THROTTLE_CODES.has(error.name) || TIMEOUT_NAMES.has(error.name) || e.$retryable !== undefined) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** The size SQS charges a message: UTF-8 body plus each attribute's name, data type and value. */
export function messageBytes(message: OutgoingMessage): number {
  let bytes = utf8Bytes(message.body);
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    bytes += utf8Bytes(name) + utf8Bytes('String') + utf8Bytes(value);
  }
  return bytes;
}

/** DelaySeconds as SQS accepts it: a whole number in 0..900. */
export function clampDelaySeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(SQS_MAX_DELAY_SECONDS, Math.floor(seconds));
}

/**
 * Sends messages with SendMessageBatch (at most 10 entries and `maxBatchBytes` per call). Retries only what
 * failed: entries SQS reports as not the sender's fault, and whole calls that failed for a retryable reason,
 * with exponential backoff capped at `maxDelayMs`. Sender faults (bad contents, too long) and non-retryable
 * call errors (missing queue, access denied) fail at once. Never throws for a failed message.
 * Retries live here, so give the client `maxAttempts: 1` if you want them in one layer only.
 */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  options: SendOptions = {},
): Promise<SendResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const maxBatchBytes = options.maxBatchBytes ?? SQS_MAX_BATCH_BYTES;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;

  const sent: SendResult['sent'] = [];
  const failed: SendResult['failed'] = [];
  const sizes = messages.map(messageBytes);
  // Why each still-pending message failed last, reported if attempts run out.
  const lastError = new Map<number, { code: string; message: string }>();

  let pending: number[] = [];
  messages.forEach((_, index) => {
    const bytes = sizes[index] ?? 0;
    // An entry larger than a whole batch would fail every batch it joined; SQS would reject it anyway.
    if (bytes > maxBatchBytes) {
      failed.push({
        index,
        code: 'MessageTooLong',
        message: `message is ${bytes} bytes; a batch may carry ${maxBatchBytes}`,
      });
    } else pending.push(index);
  });

  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt += 1) {
    if (attempt > 1) {
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 2));
      // Half fixed, half jitter: spreads retries without ever retrying at once.
      await sleep(ceiling / 2 + (random() * ceiling) / 2);
    }
    const retry: number[] = [];
    for (const batch of batches(pending, sizes, maxBatchBytes)) {
      const entries: SendMessageBatchRequestEntry[] = batch.map((index) => toEntry(index, messages[index]));
      let response: SendMessageBatchCommandOutput;
      try {
        response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      } catch (error) {
        const reason = { code: errorCode(error), message: messageOf(error) };
        if (isRetryableSqsError(error)) {
          for (const index of batch) lastError.set(index, reason);
          retry.push(...batch);
        } else {
          for (const index of batch) failed.push({ index, ...reason });
        }
        continue;
      }
      const answered = new Set<number>();
      for (const ok of response.Successful ?? []) {
        const index = Number(ok.Id);
        if (!batch.includes(index) || ok.MessageId === undefined) continue;
        answered.add(index);
        sent.push({ index, messageId: ok.MessageId });
      }
      for (const bad of response.Failed ?? []) {
        const index = Number(bad.Id);
        if (!batch.includes(index) || answered.has(index)) continue;
        answered.add(index);
        const reason = { code: bad.Code ?? 'UnknownError', message: bad.Message ?? 'no message' };
        if (bad.SenderFault === true) failed.push({ index, ...reason });
        else {
          lastError.set(index, reason);
          retry.push(index);
        }
      }
      // SQS answers every entry; one it did not mention cannot be assumed sent.
      for (const index of batch) {
        if (answered.has(index)) continue;
        lastError.set(index, { code: 'MissingBatchResult', message: 'SQS did not report on this entry' });
        retry.push(index);
      }
    }
    pending = retry;
  }

  for (const index of pending) {
    const reason = lastError.get(index) ?? { code: 'UnknownError', message: 'not sent' };
    failed.push({ index, code: reason.code, message: `${reason.message} (gave up after ${maxAttempts} attempts)` });
  }
  sent.sort((a, b) => a.index - b.index);
  failed.sort((a, b) => a.index - b.index);
  return { sent, failed };
}

/** Splits indices, in order, into batches of at most 10 entries and `maxBatchBytes`. */
function* batches(indices: readonly number[], sizes: readonly number[], maxBatchBytes: number): Generator<number[]> {
  let batch: number[] = [];
  let bytes = 0;
  for (const index of indices) {
    const size = sizes[index] ?? 0;
    if (batch.length === SQS_MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + size > maxBatchBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(index);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

function toEntry(index: number, message: OutgoingMessage | undefined): SendMessageBatchRequestEntry {
  const attributes = Object.entries(message?.attributes ?? {});
  return {
    // Batch entry ids only need to be unique within the call; the input index is, and maps results back.
    Id: String(index),
    MessageBody: message?.body ?? '',
    ...(message?.delaySeconds === undefined ? {} : { DelaySeconds: clampDelaySeconds(message.delaySeconds) }),
    ...(attributes.length === 0
      ? {}
      : {
          MessageAttributes: Object.fromEntries(
            attributes.map(([name, value]): [string, MessageAttributeValue] => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
  };
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    // Node network errors carry the useful part (ECONNREFUSED) in `code`; SDK service errors in `name`.
    if (typeof code === 'string' && error.name === 'Error') return code;
    return error.name;
  }
  return 'UnknownError';
}

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
  sqs: SQSClient,
  dlqUrl: string,
  originalBody: string,
  reason: DlqReason,
  options: SendOptions = {},
): Promise<string> {
  const attributes: Record<string, string> = {
    [DLQ_ATTRIBUTES.code]: attributeValue(reason.code, MAX_CODE_BYTES),
    [DLQ_ATTRIBUTES.reason]: attributeValue(reason.message, MAX_REASON_BYTES),
    ...(reason.source === undefined
      ? {}
      : { [DLQ_ATTRIBUTES.source]: attributeValue(reason.source, MAX_SOURCE_BYTES) }),
  };
  const result = await sendMessages(sqs, dlqUrl, [{ body: originalBody, attributes }], options);
  const sent = result.sent[0];
  if (sent) return sent.messageId;
  const failure = result.failed[0];
  throw new SqsSendError(failure?.code ?? 'UnknownError', failure?.message ?? 'not sent to the dead-letter queue');
}
