import { sendToDlq } from '../aws/send-to-dlq.ts';
import { sqsBody } from '../aws/sqs-body.ts';
import { SQS_MAX_DELAY_SECONDS } from '../aws/sqs-send.ts';
import { splitWireManifest } from '../aws/sqs-split.ts';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff.ts';
import { messageOf, SqsSendError } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.ts';
import { type ManifestDraft, serializeManifest, type WireManifest } from '../core/manifest/wire.ts';
import type { ErrorInfo, Settlement, UnfinishedResult } from '../core/outcome.ts';
import type { QueueSender } from '../core/ports.ts';

/** Where and how {@link handOff} sends unfinished work. */
export interface HandoffOptions {
  readonly queue: QueueSender;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Continuations allowed per manifest before the rest is dead-lettered. */
  readonly maxContinuations: number;
  readonly maxMessageBytes: number;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Whether this invocation got any call of the manifest accepted. */
  readonly madeProgress: boolean;
}

/** Why a hand-off sent nothing: the queue it was for, and the send's error. */
export interface HandoffFailure {
  readonly queue: 'work' | 'dlq';
  readonly code: string;
  readonly message: string;
}

/** The result of handing on one manifest's unfinished work. */
export interface Handoff {
  /** False when some of the work could not be sent anywhere: the source record must be redelivered. */
  readonly handedOn: boolean;
  readonly settle: (result: UnfinishedResult) => Settlement;
  readonly continuationMessageIds: readonly string[];
  readonly deadLetterMessageId?: string;
  /** Set exactly when `handedOn` is false. */
  readonly failure?: HandoffFailure;
}

// 5 s, 10 s, 20 s, ... up to SQS's longest delay; half fixed, half jitter, so that a fleet of
// continuations does not come back in one wave.
const CONTINUATION_BACKOFF: BackoffPolicy = {
  baseDelayMs: 5000,
  maxDelayMs: SQS_MAX_DELAY_SECONDS * 1000,
  jitterShare: 0.5,
};

/** Delay before a continuation runs, in whole seconds: none after a deadline cut, backoff after failures. */
export function continuationDelaySeconds(attempt: number, afterFailures: boolean, random: () => number): number {
  if (!afterFailures) return 0;
  return Math.floor(backoffDelayMs(attempt, CONTINUATION_BACKOFF, random) / 1000);
}

/**
 * Hands unfinished work on: a continuation manifest with exactly the resources and tags not yet confirmed
 * removed goes back to the work queue (split to fit), or, once `maxContinuations` is used up, to the DLQ
 * with its last error. Nothing is lost: when neither send works, `handedOn` is false.
 */
export async function handOff(
  manifest: Manifest,
  unfinished: readonly UnfinishedResult[],
  sourceMessageId: string,
  options: HandoffOptions,
): Promise<Handoff> {
  // Work cut off by the deadline can resume at once; work that kept failing waits out a backoff.
  const afterFailures = unfinished.some((r) => r.unfinishedReason === 'exhausted');
  const attempt = nextAttempt(manifest.continuation?.attempt ?? 0, afterFailures, options.madeProgress);
  const lastError = lastErrorOf(unfinished);
  const wire = serializeManifest({
    manifestId: manifest.manifestId,
    regionId: manifest.regionId,
    dryRun: manifest.dryRun,
    resources: unfinished.map(toEntry),
    // The origin travels with the work, so the last outcome of a resource still names its sweep or events.
    ...(manifest.origin && { origin: manifest.origin }),
    continuation: {
      attempt,
      sourceMessageId,
      ...(lastError && { lastError: { code: lastError.code, message: lastError.message } }),
    },
  });
  const exhausted = attempt > options.maxContinuations;
  try {
    if (exhausted) return await deadLetter(wire, lastError, sourceMessageId, options);
    const delaySeconds = continuationDelaySeconds(attempt, afterFailures, options.random ?? Math.random);
    return await continueLater(wire, delaySeconds, options);
  } catch (error) {
    return notHandedOn(exhausted ? 'dlq' : 'work', error);
  }
}

/**
 * A large manifest may need many invocations at the account's rate: a continuation that only ran out of
 * time after making progress does not use up an attempt. Failures, or no progress at all, do.
 */
function nextAttempt(previous: number, afterFailures: boolean, madeProgress: boolean): number {
  return !afterFailures && madeProgress ? Math.max(previous, 1) : previous + 1;
}

/** Sends the rest of the work to the DLQ; every unfinished resource then ends `failed`. */
async function deadLetter(
  wire: WireManifest,
  lastError: ErrorInfo | undefined,
  sourceMessageId: string,
  options: HandoffOptions,
): Promise<Handoff> {
  const reason = {
    code: 'ContinuationsExhausted',
    message: `still unfinished after ${options.maxContinuations} continuation(s); last error ${lastError?.code ?? 'none'}: ${lastError?.message ?? ''}`,
    source: sourceMessageId,
  };
  const id = await sendToDlq(options.queue, options.dlqUrl, sqsBody(wire), reason);
  return {
    handedOn: true,
    continuationMessageIds: [],
    deadLetterMessageId: id,
    settle: (r) => ({
      outcome: 'failed',
      error: r.error ?? { code: reason.code, message: reason.message },
      deadLetterMessageId: id,
    }),
  };
}

/** Sends the rest of the work back to the work queue, split into messages that fit. */
async function continueLater(wire: WireManifest, delaySeconds: number, options: HandoffOptions): Promise<Handoff> {
  const parts = splitWireManifest(wire, options.maxMessageBytes);
  const result = await options.queue.send(
    options.queueUrl,
    parts.map((part) => ({ body: sqsBody(part), delaySeconds })),
  );
  const first = result.failed[0];
  if (first !== undefined) {
    throw new SqsSendError(first.code, `${result.failed.length} continuation part(s) not sent: ${first.message}`);
  }
  const ids = result.sent.map((s) => s.messageId);
  return {
    handedOn: true,
    continuationMessageIds: ids,
    settle: (r) => ({
      outcome: 'deferred',
      ...(r.error && { error: r.error }),
      continuationMessageId: ids.join(','),
    }),
  };
}

function notHandedOn(queue: HandoffFailure['queue'], error: unknown): Handoff {
  const info: ErrorInfo = { code: 'HandoffFailed', message: messageOf(error) };
  // The source record goes back to SQS, which redelivers all of it; the outcome says so.
  return {
    handedOn: false,
    continuationMessageIds: [],
    settle: (r) => ({ outcome: 'deferred', error: r.error ?? info }),
    failure: { queue, code: sendErrorCode(error), message: messageOf(error) },
  };
}

/** SQS's code for a failed send, or the error's name (MessageTooLargeError, or a crash in the adapter). */
function sendErrorCode(error: unknown): string {
  if (error instanceof SqsSendError) return error.code;
  return error instanceof Error ? error.name : 'UnknownError';
}

function toEntry(result: UnfinishedResult): ManifestDraft['resources'][number] {
  return {
    regionId: result.regionId,
    resourceType: result.resourceType,
    resourceId: result.resourceId,
    tags: result.remaining,
  };
}

function lastErrorOf(results: readonly UnfinishedResult[]): ErrorInfo | undefined {
  for (let i = results.length - 1; i >= 0; i--) {
    const error = results[i]?.error;
    if (error) return error;
  }
  return undefined;
}
