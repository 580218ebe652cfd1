import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type InvokeOutcome, judgeResponse } from './judge-response.ts';
import { lambdaContext, toRecord } from './lambda-event.ts';

/** A Lambda-style SQS handler, as handlers/cleanup.ts exports it. */
// biome-ignore lint/suspicious/noConfusingVoidType: Lambda handlers may resolve to nothing, as the aws-lambda types say
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** The queue records come from: its ARN, and the region and account the ARN names. */
export interface EventSource {
  readonly arn: string;
  readonly region: string;
  readonly account: string;
}

/** Splits a queue ARN (`arn:aws:sqs:<region>:<account>:<name>`) into an {@link EventSource}. */
export function eventSourceOf(arn: string): EventSource {
  const [, , , region = 'us-east-1', account = '000000000000'] = arn.split(':');
  return { arn, region, account };
}

/** What one invocation did: the records it was given and Lambda's verdict on its answer. */
export interface Invocation {
  readonly awsRequestId: string;
  readonly records: readonly SQSRecord[];
  readonly messageIds: readonly string[];
  readonly outcome: InvokeOutcome;
  /** Records to leave on the queue: the reported failures, or all on error, timeout or invalid response. */
  readonly failedIds: readonly string[];
  readonly error?: unknown;
  /** Wall clock when the invocation started, epoch ms. */
  readonly startedMs: number;
}

/** How to invoke: the handler and the function settings its Context reports. */
export interface InvokeSettings {
  readonly handler: SqsHandler;
  readonly functionName: string;
  readonly memoryLimitInMB: string;
  readonly functionTimeoutMs: number;
}

/**
 * Invokes the handler once with the messages as a Lambda SQSEvent, and judges the result as Lambda's
 * event source mapping does. A handler still running at the function timeout fails the whole batch;
 * unlike Lambda it is not killed, and its late result is ignored.
 */
export async function invokeHandler(
  settings: InvokeSettings,
  source: EventSource,
  messages: readonly Message[],
): Promise<Invocation> {
  const awsRequestId = randomUUID();
  const startedMs = Date.now();
  const records = messages.map((m) => toRecord(m, source.arn, source.region));
  const context = lambdaContext({
    functionName: settings.functionName,
    awsRequestId,
    region: source.region,
    account: source.account,
    memoryLimitInMB: settings.memoryLimitInMB,
    deadline: startedMs + settings.functionTimeoutMs,
  });
  const messageIds = records.map((r) => r.messageId);
  const base = { awsRequestId, records, messageIds, startedMs };
  const timeout = new AbortController();
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => settings.handler({ Records: records }, context)),
      delay(settings.functionTimeoutMs, 'timeout' as const, { signal: timeout.signal }),
    ]);
    if (result === 'timeout') return { ...base, outcome: 'timeout', failedIds: messageIds };
    return { ...base, ...judgeResponse(result, messageIds) };
  } catch (error) {
    return { ...base, outcome: 'error', failedIds: messageIds, error };
  } finally {
    timeout.abort();
  }
}
