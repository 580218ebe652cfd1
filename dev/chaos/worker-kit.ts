// What a chaos worker is made of, shared by the forked worker (chaos/worker.ts) and in-process workers.
import { setTimeout as delay } from 'node:timers/promises';
import type { Context, SQSEvent } from 'aws-lambda';
import { messageOf } from '../../lib/core/errors.ts';
import { mulberry32 } from '../emulator/faults.ts';
import type { InvokeReport, SqsHandler } from '../local/poller.ts';

/** What a worker tells the parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'start'; readonly messageIds: readonly string[]; readonly cutMs?: number }
  /** The handler itself finished: after `end` when the invocation timed out and left it running. */
  | { readonly type: 'settled'; readonly messageIds: readonly string[] }
  | {
      readonly type: 'end';
      readonly messageIds: readonly string[];
      readonly outcome: InvokeReport['outcome'];
      readonly failedIds: readonly string[];
      readonly deletedIds: readonly string[];
      readonly error?: string;
      readonly durationMs: number;
    }
  | { readonly type: 'error'; readonly during: string; readonly message: string }
  | { readonly type: 'stopped' };

/** What the parent tells a worker. */
export type ParentMessage = { readonly type: 'stop' };

/** Settings a worker reads from CHAOS_* variables (the handler reads its own TAG_CLEANUP_* ones). */
export interface WorkerSettings {
  /** fauxqs itself, for receive and delete (the handler's sends go through the fault proxy instead). */
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
  readonly seed: number;
  readonly functionTimeoutMs: number;
  readonly batchSize: number;
  /** Share of invocations whose remaining time is cut to [cutMinMs, cutMaxMs]. */
  readonly cutRate: number;
  readonly cutMinMs: number;
  readonly cutMaxMs: number;
}

/** Reads the worker settings, naming the variable that is wrong. */
export function workerSettings(env: Readonly<Record<string, string | undefined>>): WorkerSettings {
  const text = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got '${raw}')`);
    return n;
  };
  return {
    sqsEndpoint: text('CHAOS_SQS_ENDPOINT'),
    queueUrl: text('CHAOS_QUEUE_URL'),
    seed: number('CHAOS_SEED', 1),
    functionTimeoutMs: number('CHAOS_FUNCTION_TIMEOUT_MS', 10_000),
    batchSize: number('CHAOS_BATCH_SIZE', 5),
    cutRate: number('CHAOS_CUT_RATE', 0),
    cutMinMs: number('CHAOS_CUT_MIN_MS', 3000),
    cutMaxMs: number('CHAOS_CUT_MAX_MS', 6000),
  };
}

/** The CHAOS_* variables that {@link workerSettings} reads back: how the parent configures a forked worker. */
export function settingsEnv(settings: WorkerSettings): Record<string, string> {
  return {
    CHAOS_SQS_ENDPOINT: settings.sqsEndpoint,
    CHAOS_QUEUE_URL: settings.queueUrl,
    CHAOS_SEED: String(settings.seed),
    CHAOS_FUNCTION_TIMEOUT_MS: String(settings.functionTimeoutMs),
    CHAOS_BATCH_SIZE: String(settings.batchSize),
    CHAOS_CUT_RATE: String(settings.cutRate),
    CHAOS_CUT_MIN_MS: String(settings.cutMinMs),
    CHAOS_CUT_MAX_MS: String(settings.cutMaxMs),
  };
}

/** The callbacks through which a worker, forked or in-process, tells the parent about each invocation. */
export interface ReportingHooks {
  /** For {@link cutShort}: an invocation starts, and its handler settles. */
  readonly cut: CutShortHooks;
  /** For the poller: an invocation ended. */
  readonly onInvoke: (report: InvokeReport) => void;
  /** For the poller: a receive or delete failed. */
  readonly onError: (error: unknown, during: string) => void;
}

/** Turns the poller's and {@link cutShort}'s callbacks into {@link WorkerMessage}s for `tell`. */
export function reportingHooks(tell: (message: WorkerMessage) => void): ReportingHooks {
  return {
    cut: {
      onStart: (messageIds, cutMs) => tell({ type: 'start', messageIds, ...(cutMs !== undefined && { cutMs }) }),
      onSettled: (messageIds) => tell({ type: 'settled', messageIds }),
    },
    onInvoke: (report) =>
      tell({
        type: 'end',
        messageIds: report.messageIds,
        outcome: report.outcome,
        failedIds: report.failedIds,
        deletedIds: report.deletedIds,
        ...(report.error !== undefined && { error: messageOf(report.error) }),
        durationMs: report.durationMs,
      }),
    onError: (error, during) => tell({ type: 'error', during, message: messageOf(error) }),
  };
}

/**
 * Wraps a handler so that a seeded share of invocations only get a few seconds: the context reports the
 * short remaining time, and, as Lambda would, the invocation fails if the handler outlives it.
 */
export function cutShort(
  handler: SqsHandler,
  settings: Pick<WorkerSettings, 'seed' | 'cutRate' | 'cutMinMs' | 'cutMaxMs'>,
  hooks: CutShortHooks = {},
): SqsHandler {
  const random = mulberry32(settings.seed);
  return async (event: SQSEvent, context: Context) => {
    const cut = random() < settings.cutRate;
    const cutMs = cut ? settings.cutMinMs + Math.floor(random() * (settings.cutMaxMs - settings.cutMinMs)) : undefined;
    const messageIds = event.Records.map((r) => r.messageId);
    hooks.onStart?.(messageIds, cutMs);
    const deadline = Date.now() + (cutMs ?? 0);
    const short: Context =
      cutMs === undefined || cutMs >= context.getRemainingTimeInMillis()
        ? context
        : { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    // Tracked apart from the invocation: a handler that outlives its timeout keeps running, as the poller allows.
    const running = handler(event, short).finally(() => hooks.onSettled?.(messageIds));
    if (short === context) return running;
    const timeout = new AbortController();
    try {
      return await Promise.race([
        running,
        delay(cutMs ?? 0, undefined, { signal: timeout.signal }).then(() => {
          throw new Error(`Task timed out after ${cutMs} ms`);
        }),
      ]);
    } finally {
      timeout.abort();
    }
  };
}

/** Callbacks of {@link cutShort}. */
export interface CutShortHooks {
  /** An invocation starts; `cutMs` is set when its time was cut. */
  readonly onStart?: (messageIds: readonly string[], cutMs: number | undefined) => void;
  /** The handler's own promise settled (possibly after the invocation timed out). */
  readonly onSettled?: (messageIds: readonly string[]) => void;
}
