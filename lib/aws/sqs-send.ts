import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff.ts';
import { messageOf } from '../core/errors.ts';
import type { OutgoingMessage, QueueSender, SendResult, Sleep } from '../core/ports.ts';
import { abortableSleep } from '../core/sleep.ts';
import { utf8Bytes } from './sqs-split.ts';

/** SQS's cap on one SendMessageBatch request: all bodies and attributes together. */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/** SQS's cap on entries per batch request. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** SQS's cap on a message's DelaySeconds (15 minutes). */
export const SQS_MAX_DELAY_SECONDS = 900;

/** Retry and batching knobs of {@link sendMessages}. */
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
  readonly sleep?: Sleep;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
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

/** The {@link QueueSender} port over a real SQS client: {@link sendMessages} with fixed options. */
export class SqsQueueSender implements QueueSender {
  readonly #sqs: SQSClient;
  readonly #options: SendOptions;

  constructor(sqs: SQSClient, options: SendOptions = {}) {
    this.#sqs = sqs;
    this.#options = options;
  }

  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendResult> {
    return sendMessages(this.#sqs, queueUrl, messages, this.#options);
  }
}

type Reason = { code: string; message: string };

/** What one {@link sendMessages} call has learnt so far, by index into its input. */
interface Tally {
  readonly sent: SendResult['sent'];
  readonly failed: SendResult['failed'];
  /** Why each still-pending message failed last, reported if attempts run out. */
  readonly lastError: Map<number, Reason>;
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
  // Half fixed, half jitter: spreads retries without ever retrying at once.
  const backoff: BackoffPolicy = {
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5000,
    jitterShare: 0.5,
  };
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;

  const tally: Tally = { sent: [], failed: [], lastError: new Map() };
  const sizes = messages.map(messageBytes);
  let pending = admitBySize(sizes, maxBatchBytes, tally);
  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt += 1) {
    if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, backoff, random));
    const retry: number[] = [];
    for (const batch of batches(pending, sizes, maxBatchBytes)) {
      retry.push(...(await sendBatch(sqs, queueUrl, messages, batch, tally)));
    }
    pending = retry;
  }

  for (const index of pending) {
    const reason = tally.lastError.get(index) ?? { code: 'UnknownError', message: 'not sent' };
    tally.failed.push({
      index,
      code: reason.code,
      message: `${reason.message} (gave up after ${maxAttempts} attempts)`,
    });
  }
  tally.sent.sort((a, b) => a.index - b.index);
  tally.failed.sort((a, b) => a.index - b.index);
  return { sent: tally.sent, failed: tally.failed };
}

/** The indices worth sending; an entry larger than a whole batch fails at once, as SQS would refuse it. */
function admitBySize(sizes: readonly number[], maxBatchBytes: number, tally: Tally): number[] {
  const pending: number[] = [];
  sizes.forEach((bytes, index) => {
    if (bytes <= maxBatchBytes) pending.push(index);
    else {
      tally.failed.push({
        index,
        code: 'MessageTooLong',
        message: `message is ${bytes} bytes; a batch may carry ${maxBatchBytes}`,
      });
    }
  });
  return pending;
}

/** Sends one SendMessageBatch call and records its answers; returns the indices worth another try. */
async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  batch: readonly number[],
  tally: Tally,
): Promise<number[]> {
  const entries = batch.map((index) => toEntry(index, messages[index]));
  let response: SendMessageBatchCommandOutput;
  try {
    response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  } catch (error) {
    const reason = { code: errorCode(error), message: messageOf(error) };
    if (!isRetryableSqsError(error)) {
      for (const index of batch) tally.failed.push({ index, ...reason });
      return [];
    }
    for (const index of batch) tally.lastError.set(index, reason);
    return [...batch];
  }
  return recordAnswers(response, batch, tally);
}

/** Records SQS's per-entry answers to one batch; returns the indices worth another try. */
function recordAnswers(response: SendMessageBatchCommandOutput, batch: readonly number[], tally: Tally): number[] {
  const retry: number[] = [];
  const answered = new Set<number>();
  for (const ok of response.Successful ?? []) {
    const index = Number(ok.Id);
    if (!batch.includes(index) || ok.MessageId === undefined) continue;
    answered.add(index);
    tally.sent.push({ index, messageId: ok.MessageId });
  }
  for (const bad of response.Failed ?? []) {
    const index = Number(bad.Id);
    if (!batch.includes(index) || answered.has(index)) continue;
    answered.add(index);
    const reason = { code: bad.Code ?? 'UnknownError', message: bad.Message ?? 'no message' };
    if (bad.SenderFault === true) tally.failed.push({ index, ...reason });
    else {
      tally.lastError.set(index, reason);
      retry.push(index);
    }
  }
  // SQS answers every entry; one it did not mention cannot be assumed sent.
  for (const index of batch) {
    if (answered.has(index)) continue;
    tally.lastError.set(index, { code: 'MissingBatchResult', message: 'SQS did not report on this entry' });
    retry.push(index);
  }
  return retry;
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
