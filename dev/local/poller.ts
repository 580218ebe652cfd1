// Dev tooling only: a local stand-in for Lambda's SQS event source mapping. Never import it from handlers/.
import { setTimeout as delay } from 'node:timers/promises';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deleteRecords } from './delete-records.ts';
import {
  type EventSource,
  eventSourceOf,
  type InvokeSettings,
  invokeHandler,
  type SqsHandler,
} from './invoke-handler.ts';
import type { InvokeOutcome } from './judge-response.ts';
import { queueArn } from './queue-arn.ts';
import { type RunUntilIdleOptions, waitForQueueIdle } from './wait-for-queue-idle.ts';

export type { SqsHandler } from './invoke-handler.ts';
export type { InvokeOutcome } from './judge-response.ts';
export type { RunUntilIdleOptions } from './wait-for-queue-idle.ts';

// Pause after an empty short-poll receive.
const EMPTY_RECEIVE_PAUSE_MS = 25;
// Pause after a failed receive, so a queue that is down is not hammered.
const RECEIVE_ERROR_PAUSE_MS = 500;

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
  /**
   * Lambda's `MaximumBatchingWindowInSeconds`, in ms: after the first message, keep gathering until the batch
   * is full or this long has passed. @default 0 (invoke with what the first receive returned)
   */
  readonly maximumBatchingWindowMs?: number;
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

/** A running poller. */
export interface Poller {
  /** Invocations so far. */
  readonly invocations: number;
  /** Resolves when the queue has no visible, in-flight or delayed messages and no invocation runs. */
  runUntilIdle(options?: RunUntilIdleOptions): Promise<void>;
  /** Stops receiving, waits for a running invocation to end (or time out), and resolves. */
  stop(): Promise<void>;
}

/** The options with their defaults applied. */
interface PollerSettings extends InvokeSettings {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly batchSize: number;
  readonly waitTimeSeconds: number;
  readonly maximumBatchingWindowMs: number;
  readonly visibilityTimeoutSeconds: number | undefined;
  readonly onInvoke: ((report: InvokeReport) => void) | undefined;
  readonly onError: (error: unknown, during: 'receive' | 'delete' | 'attributes') => void;
}

/** The loop's counters, read by the {@link Poller} handle. */
interface PollerState {
  invocations: number;
  busy: boolean;
  source?: EventSource;
}

/**
 * Starts a loop that behaves like Lambda's SQS event source mapping with one concurrent invocation:
 * receive up to `batchSize` messages, invoke the handler with a faithful SQSEvent and a Context whose
 * remaining time counts down from `functionTimeoutMs`, then delete the records not named in
 * `batchItemFailures`. A throw, a timeout or an invalid response deletes nothing, so the whole batch
 * comes back after the visibility timeout (and moves to the DLQ after maxReceiveCount), as on Lambda.
 */
export function startPoller(options: PollerOptions): Poller {
  const settings = resolveOptions(options);
  const stopper = new AbortController();
  const onExternalAbort = () => stopper.abort();
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });
  if (options.signal?.aborted) stopper.abort();
  const state: PollerState = { invocations: 0, busy: false };
  const running = pollLoop(settings, state, stopper.signal);
  return {
    get invocations() {
      return state.invocations;
    },
    async runUntilIdle(idle = {}) {
      await waitForQueueIdle({ sqs: settings.sqs, queueUrl: settings.queueUrl, isBusy: () => state.busy, ...idle });
    },
    async stop() {
      stopper.abort();
      options.signal?.removeEventListener('abort', onExternalAbort);
      await running;
    },
  };
}

function resolveOptions(options: PollerOptions): PollerSettings {
  const batchSize = options.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be a whole number from 1 to 10 (got ${batchSize})`);
  }
  const windowMs = options.maximumBatchingWindowMs ?? 0;
  if (!Number.isFinite(windowMs) || windowMs < 0 || windowMs > 300_000) {
    throw new RangeError(`maximumBatchingWindowMs must be from 0 to 300000 (got ${windowMs})`);
  }
  return {
    sqs: options.sqs,
    queueUrl: options.queueUrl,
    handler: options.handler,
    functionTimeoutMs: options.functionTimeoutMs,
    functionName: options.functionName ?? 'tag-cleanup-local-cleanup',
    memoryLimitInMB: options.memoryLimitInMB ?? '512',
    batchSize,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    maximumBatchingWindowMs: windowMs,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    onInvoke: options.onInvoke,
    onError: options.onError ?? (() => {}),
  };
}

async function pollLoop(settings: PollerSettings, state: PollerState, signal: AbortSignal): Promise<void> {
  const pause = (ms: number) => delay(ms, undefined, { signal }).catch(() => {});
  while (!signal.aborted) {
    let messages: Message[];
    try {
      messages = await receiveBatch(settings, signal);
      if (messages.length > 0) messages = await fillBatch(settings, messages, signal);
    } catch (error) {
      if (signal.aborted) break;
      settings.onError(error, 'receive');
      await pause(RECEIVE_ERROR_PAUSE_MS);
      continue;
    }
    if (messages.length === 0) {
      // A zero-second wait returns at once; pause so an empty queue is not polled in a tight loop.
      if (settings.waitTimeSeconds === 0) await pause(EMPTY_RECEIVE_PAUSE_MS);
      continue;
    }
    state.busy = true;
    try {
      state.source ??= eventSourceOf(await queueArn(settings.sqs, settings.queueUrl, signal));
      await processBatch(settings, state, state.source, messages);
    } catch (error) {
      settings.onError(error, 'attributes');
    } finally {
      state.busy = false;
    }
  }
}

/**
 * The batching window: short receives until the batch is full or the window, counted from the first
 * message, has passed. Messages already received stay in flight meanwhile, as on Lambda. Never throws.
 */
async function fillBatch(settings: PollerSettings, first: Message[], signal: AbortSignal): Promise<Message[]> {
  const batch = [...first];
  const closesAt = Date.now() + settings.maximumBatchingWindowMs;
  while (batch.length < settings.batchSize && Date.now() < closesAt && !signal.aborted) {
    let more: Message[];
    try {
      more = await receiveBatch(settings, signal, { max: settings.batchSize - batch.length, waitSeconds: 0 });
    } catch (error) {
      // Invoke with what is in hand rather than leave it in flight until the visibility timeout.
      if (!signal.aborted) settings.onError(error, 'receive');
      break;
    }
    batch.push(...more);
    if (more.length === 0) {
      await delay(Math.min(EMPTY_RECEIVE_PAUSE_MS, Math.max(0, closesAt - Date.now())), undefined, { signal }).catch(
        () => {},
      );
    }
  }
  return batch;
}

async function receiveBatch(
  settings: PollerSettings,
  signal: AbortSignal,
  limits: { readonly max: number; readonly waitSeconds: number } = {
    max: settings.batchSize,
    waitSeconds: settings.waitTimeSeconds,
  },
): Promise<Message[]> {
  const out = await settings.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: settings.queueUrl,
      MaxNumberOfMessages: limits.max,
      WaitTimeSeconds: limits.waitSeconds,
      ...(settings.visibilityTimeoutSeconds === undefined
        ? {}
        : { VisibilityTimeout: settings.visibilityTimeoutSeconds }),
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
    { abortSignal: signal },
  );
  return out.Messages ?? [];
}

/** Invokes the handler with one batch, then deletes what it did not report as failed. */
async function processBatch(
  settings: PollerSettings,
  state: PollerState,
  source: EventSource,
  messages: readonly Message[],
): Promise<void> {
  const invocation = await invokeHandler(settings, source, messages);
  state.invocations += 1;
  const failed = new Set(invocation.failedIds);
  const toDelete = invocation.records.filter((r) => !failed.has(r.messageId));
  const deletedIds = await deleteRecords(settings.sqs, settings.queueUrl, toDelete, (error) =>
    settings.onError(error, 'delete'),
  );
  settings.onInvoke?.({
    awsRequestId: invocation.awsRequestId,
    messageIds: invocation.messageIds,
    outcome: invocation.outcome,
    failedIds: invocation.failedIds,
    deletedIds,
    ...(invocation.error === undefined ? {} : { error: invocation.error }),
    durationMs: Date.now() - invocation.startedMs,
  });
}
