// Dev tooling only: a local stand-in for Lambda's SQS event source mapping. Never import it from handlers/.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { messageOf } from '../../lib/core/errors.ts';
import { queueDepth } from './queue-depth.ts';

// Pause after an empty short-poll receive.
const EMPTY_RECEIVE_PAUSE_MS = 25;

/** A Lambda-style SQS handler, as handlers/cleanup.ts exports it. */
// biome-ignore lint/suspicious/noConfusingVoidType: Lambda handlers may resolve to nothing, as the aws-lambda types say
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** How one invocation ended, as Lambda's event source mapping would judge it. */
export type InvokeOutcome = 'success' | 'partial' | 'error' | 'timeout' | 'invalid-response';

/** What the poller did with one batch. */
export interface InvokeReport {
  readonly awsRequestId: string;
  readonly messageIds: readonly string[];
  readonly outcome: InvokeOutcome;
  /** Records left on the queue: the reported failures, or the whole batch on error/timeout/invalid response. */
  readonly failedIds: readonly string[];
  readonly deletedIds: readonly string[];
  readonly error?: unknown;
  readonly durationMs: number;
}

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  /** Records per invocation, 1..10. @default 10 */
  readonly batchSize?: number;
  /** The function timeout: `getRemainingTimeInMillis()` counts down from it, and the batch fails at zero. */
  readonly functionTimeoutMs: number;
  /** Overrides the queue's visibility timeout on receive. @default the queue's */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait per ReceiveMessage, 0..20; short keeps stop() quick. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Used for the context's ARN and log names. @default 'tag-cleanup-local-cleanup' */
  readonly functionName?: string;
  /** Reported in the context. @default '512' */
  readonly memoryLimitInMB?: string;
  /** Called after every invocation. */
  readonly onInvoke?: (report: InvokeReport) => void;
  /** Called when a receive or delete fails; the poller carries on. */
  readonly onError?: (error: unknown, during: 'receive' | 'delete' | 'attributes') => void;
  /** Stops the poller when aborted. */
  readonly signal?: AbortSignal;
}

export interface RunUntilIdleOptions {
  /** How long the queue must stay empty with nothing in flight. @default 300 */
  readonly idleMs?: number;
  /** Rejects after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Pause between checks. @default 50 */
  readonly pollMs?: number;
}

/** A running poller. */
export interface Poller {
  /** Invocations so far. */
  readonly invocations: number;
  /** Resolves when the queue has no visible, in-flight or delayed messages and no invocation runs. */
  runUntilIdle(options?: RunUntilIdleOptions): Promise<void>;
  /** Stops receiving, waits for a running invocation to end (or time out), and resolves. */
  stop(): Promise<void>;
}

/**
 * Starts a loop that behaves like Lambda's SQS event source mapping with one concurrent invocation:
 * receive up to `batchSize` messages, invoke the handler with a faithful SQSEvent and a Context whose
 * remaining time counts down from `functionTimeoutMs`, then delete the records not named in
 * `batchItemFailures`. A throw, a timeout or an invalid response deletes nothing, so the whole batch
 * comes back after the visibility timeout (and moves to the DLQ after maxReceiveCount), as on Lambda.
 * Unlike Lambda, a timed-out handler is not killed; its late result is ignored.
 */
export function startPoller(options: PollerOptions): Poller {
  const batchSize = options.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be a whole number from 1 to 10 (got ${batchSize})`);
  }
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const functionName = options.functionName ?? 'tag-cleanup-local-cleanup';
  const onError = options.onError ?? (() => {});
  const stopper = new AbortController();
  let invocations = 0;
  let busy = false;
  let source: { arn: string; region: string; account: string } | undefined;

  const onExternalAbort = () => stopper.abort();
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });
  if (options.signal?.aborted) stopper.abort();

  async function eventSource(): Promise<{ arn: string; region: string; account: string }> {
    if (source) return source;
    const out = await options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }),
      { abortSignal: stopper.signal },
    );
    const arn =
      out.Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${options.queueUrl.split('/').pop() ?? 'queue'}`;
    const [, , , region = 'us-east-1', account = '000000000000'] = arn.split(':');
    source = { arn, region, account };
    return source;
  }

  async function invoke(messages: Message[]): Promise<void> {
    const src = await eventSource();
    const awsRequestId = randomUUID();
    const started = Date.now();
    const deadline = started + options.functionTimeoutMs;
    const records = messages.map((m) => toRecord(m, src.arn, src.region));
    const context = makeContext({
      functionName,
      awsRequestId,
      region: src.region,
      account: src.account,
      memoryLimitInMB: options.memoryLimitInMB ?? '512',
      deadline,
    });
    const messageIds = records.map((r) => r.messageId);

    let outcome: InvokeOutcome;
    let failedIds: string[];
    let error: unknown;
    const timeout = new AbortController();
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => options.handler({ Records: records }, context)),
        delay(options.functionTimeoutMs, 'timeout' as const, { signal: timeout.signal }),
      ]);
      if (result === 'timeout') {
        outcome = 'timeout';
        failedIds = messageIds;
      } else {
        const judged = judgeResponse(result, messageIds);
        outcome = judged.outcome;
        failedIds = judged.failedIds;
      }
    } catch (thrown) {
      outcome = 'error';
      failedIds = messageIds;
      error = thrown;
    } finally {
      timeout.abort();
    }
    invocations += 1;

    const failed = new Set(failedIds);
    const toDelete = records.filter((r) => !failed.has(r.messageId));
    const deletedIds = await deleteRecords(toDelete);
    options.onInvoke?.({
      awsRequestId,
      messageIds,
      outcome,
      failedIds,
      deletedIds,
      ...(error === undefined ? {} : { error }),
      durationMs: Date.now() - started,
    });
  }

  async function deleteRecords(records: readonly SQSRecord[]): Promise<string[]> {
    const deleted: string[] = [];
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        const out = await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
          }),
        );
        for (const ok of out.Successful ?? []) {
          const record = chunk[Number(ok.Id)];
          if (record) deleted.push(record.messageId);
        }
        for (const bad of out.Failed ?? [])
          onError(new Error(`${bad.Code ?? 'DeleteFailed'}: ${bad.Message ?? ''}`), 'delete');
      } catch (e) {
        onError(e, 'delete');
      }
    }
    return deleted;
  }

  async function loop(): Promise<void> {
    while (!stopper.signal.aborted) {
      let messages: Message[];
      try {
        const out = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            ...(options.visibilityTimeoutSeconds === undefined
              ? {}
              : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopper.signal },
        );
        messages = out.Messages ?? [];
      } catch (e) {
        if (stopper.signal.aborted) break;
        onError(e, 'receive');
        await delay(500, undefined, { signal: stopper.signal }).catch(() => {});
        continue;
      }
      if (messages.length === 0) {
        // A zero-second wait returns at once; pause so an empty queue is not polled in a tight loop.
        if (waitTimeSeconds === 0)
          await delay(EMPTY_RECEIVE_PAUSE_MS, undefined, { signal: stopper.signal }).catch(() => {});
        continue;
      }
      busy = true;
      try {
        await invoke(messages);
      } catch (e) {
        onError(e, 'attributes');
      } finally {
        busy = false;
      }
    }
  }

  const running = loop();

  return {
    get invocations() {
      return invocations;
    },
    async runUntilIdle(idle = {}) {
      await waitForQueueIdle({ sqs: options.sqs, queueUrl: options.queueUrl, isBusy: () => busy, ...idle });
    },
    async stop() {
      stopper.abort();
      options.signal?.removeEventListener('abort', onExternalAbort);
      await running;
    },
  };
}

/**
 * Resolves once the queue reports no visible, in-flight or delayed messages and `isBusy()` is false,
 * continuously for `idleMs`. Rejects after `timeoutMs`. fauxqs returns expired in-flight messages to the
 * queue only on the next receive, so something must keep receiving (the poller does) for this to settle.
 */
export async function waitForQueueIdle(args: {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly isBusy?: () => boolean;
  readonly idleMs?: number;
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}): Promise<void> {
  const idleMs = args.idleMs ?? 300;
  const timeoutMs = args.timeoutMs ?? 60_000;
  const pollMs = args.pollMs ?? 50;
  const started = Date.now();
  let idleSince: number | undefined;
  let last = { visible: 0, notVisible: 0, delayed: 0 };
  for (;;) {
    last = await queueDepth(args.sqs, args.queueUrl);
    const empty = last.visible + last.notVisible + last.delayed === 0 && !(args.isBusy?.() ?? false);
    const now = Date.now();
    if (!empty) idleSince = undefined;
    else if (idleSince === undefined) idleSince = now;
    else if (now - idleSince >= idleMs) return;
    if (now - started >= timeoutMs) {
      throw new Error(
        `queue not idle after ${timeoutMs} ms: ${last.visible} visible, ${last.notVisible} in flight, ${last.delayed} delayed`,
      );
    }
    await delay(pollMs);
  }
}

/**
 * Lambda's verdict on a handler's return value (AWS docs, "Implementing partial batch responses"):
 * nothing, null or an empty/absent `batchItemFailures` is full success; an identifier that is empty,
 * not a string, or not in the batch makes the whole batch fail.
 */
export function judgeResponse(
  result: unknown,
  messageIds: readonly string[],
): { outcome: InvokeOutcome; failedIds: string[] } {
  if (result === undefined || result === null) return { outcome: 'success', failedIds: [] };
  if (typeof result !== 'object') return { outcome: 'invalid-response', failedIds: [...messageIds] };
  const failures: unknown = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { outcome: 'success', failedIds: [] };
  if (!Array.isArray(failures)) return { outcome: 'invalid-response', failedIds: [...messageIds] };
  const inBatch = new Set(messageIds);
  const failedIds: string[] = [];
  for (const item of failures) {
    const id: unknown =
      typeof item === 'object' && item !== null ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return { outcome: 'invalid-response', failedIds: [...messageIds] };
    }
    if (!failedIds.includes(id)) failedIds.push(id);
  }
  return { outcome: failedIds.length === 0 ? 'success' : 'partial', failedIds };
}

/** One SQS message in the shape Lambda delivers it. */
export function toRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const system = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...system,
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
  if (message.MD5OfMessageAttributes !== undefined) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

// Lambda lower-cases the first letter of each field and base64-encodes binary values.
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return out;
}

function makeContext(args: {
  functionName: string;
  awsRequestId: string;
  region: string;
  account: string;
  memoryLimitInMB: string;
  deadline: number;
}): Context {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported by the local poller; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: args.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${args.region}:${args.account}:function:${args.functionName}`,
    memoryLimitInMB: args.memoryLimitInMB,
    awsRequestId: args.awsRequestId,
    logGroupName: `/aws/lambda/${args.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, args.deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** Formats an invocation report as one short line for a dev console. */
export function describeInvoke(report: InvokeReport): string {
  const base = `${report.outcome}: ${report.messageIds.length} record(s), ${report.deletedIds.length} deleted, ${report.failedIds.length} left (${report.durationMs} ms)`;
  return report.error === undefined ? base : `${base}: ${messageOf(report.error)}`;
}
