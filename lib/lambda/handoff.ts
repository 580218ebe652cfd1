import type { SQSClient } from '@aws-sdk/client-sqs';
import { type SendOptions, sendMessages, sendToDlq } from '../aws/sqs-send.ts';
import { splitWireManifest } from '../aws/sqs-split.ts';
import { messageOf } from '../core/errors.ts';
import type { Manifest, TagSpec } from '../core/manifest/types.ts';
import { serializeManifest } from '../core/manifest/wire.ts';
import type { ErrorInfo, ResourceResult, Settlement } from '../core/outcome.ts';

export interface HandoffOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Continuations allowed per manifest before the rest is dead-lettered. */
  readonly maxContinuations: number;
  readonly maxMessageBytes: number;
  readonly send?: SendOptions;
  readonly random?: () => number;
  /** Whether this invocation got any call of the manifest accepted. */
  readonly madeProgress: boolean;
}

/** The result of handing on one manifest's unfinished work. */
export interface Handoff {
  /** False when some of the work could not be sent anywhere: the source record must be redelivered. */
  readonly handedOn: boolean;
  readonly settle: (result: ResourceResult) => Settlement;
  readonly continuationMessageIds: readonly string[];
  readonly deadLetterMessageId?: string;
}

/** Delay before a continuation runs: none after a deadline cut, capped exponential after failures. */
export function continuationDelaySeconds(attempt: number, afterFailures: boolean, random: () => number): number {
  if (!afterFailures) return 0;
  const capSeconds = Math.min(900, 5 * 2 ** (attempt - 1));
  // Half fixed, half jitter, so that a fleet of continuations does not come back in one wave.
  return Math.floor(capSeconds / 2 + random() * (capSeconds / 2));
}

/**
 * Hands unfinished work on: a continuation manifest with exactly the resources and tags not yet confirmed
 * removed goes back to the work queue (split to fit), or, once `maxContinuations` is used up, to the DLQ
 * with its last error. Nothing is lost: when neither send works, `handedOn` is false.
 */
export async function handOff(
  manifest: Manifest,
  unfinished: readonly ResourceResult[],
  sourceMessageId: string,
  options: HandoffOptions,
): Promise<Handoff> {
  const previous = manifest.continuation?.attempt ?? 0;
  // Work cut off by the deadline can resume at once; work that kept failing waits out a backoff.
  const afterFailures = unfinished.some((r) => r.unfinishedReason === 'exhausted');
  // A large manifest may need many invocations at the account's rate: a continuation that only ran out of
  // time after making progress does not use up an attempt. Failures, or no progress at all, do.
  const attempt = !afterFailures && options.madeProgress ? Math.max(previous, 1) : previous + 1;
  const lastError = lastErrorOf(unfinished);
  const wire = serializeManifest({
    manifestId: manifest.manifestId,
    regionId: manifest.regionId,
    dryRun: manifest.dryRun,
    resources: unfinished.map(toEntry),
    continuation: {
      attempt,
      sourceMessageId,
      ...(lastError && { lastError: { code: lastError.code, message: lastError.message } }),
    },
  });

  if (attempt > options.maxContinuations) {
    const reason = {
      code: 'ContinuationsExhausted',
      message: `still unfinished after ${options.maxContinuations} continuation(s); last error ${lastError?.code ?? 'none'}: ${lastError?.message ?? ''}`,
      source: sourceMessageId,
    };
    try {
      const id = await sendToDlq(options.sqs, options.dlqUrl, JSON.stringify(wire), reason, options.send);
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
    } catch (error) {
      return notHandedOn(error);
    }
  }

  const delaySeconds = continuationDelaySeconds(attempt, afterFailures, options.random ?? Math.random);
  try {
    const parts = splitWireManifest(wire, options.maxMessageBytes);
    const result = await sendMessages(
      options.sqs,
      options.queueUrl,
      parts.map((part) => ({ body: JSON.stringify(part), delaySeconds })),
      options.send,
    );
    if (result.failed.length > 0) {
      const first = result.failed[0];
      return notHandedOn(
        new Error(`${result.failed.length} continuation part(s) not sent: ${first?.code} ${first?.message}`),
      );
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
  } catch (error) {
    return notHandedOn(error);
  }
}

function notHandedOn(error: unknown): Handoff {
  const info: ErrorInfo = { code: 'HandoffFailed', message: messageOf(error) };
  // The source record goes back to SQS, which redelivers all of it; the outcome says so.
  return {
    handedOn: false,
    continuationMessageIds: [],
    settle: (r) => ({ outcome: 'deferred', error: r.error ?? info }),
  };
}

function toEntry(result: ResourceResult): {
  regionId: string;
  resourceType: NonNullable<Manifest['resources'][number]['resourceType']>;
  resourceId: string;
  tags: readonly TagSpec[];
} {
  // Unfinished results always come from planned resources, which carry all three identifiers.
  return {
    regionId: result.regionId ?? '',
    resourceType: result.resourceType as Manifest['resources'][number]['resourceType'],
    resourceId: result.resourceId ?? '',
    tags: result.remaining,
  };
}

function lastErrorOf(results: readonly ResourceResult[]): ErrorInfo | undefined {
  for (let i = results.length - 1; i >= 0; i--) {
    const error = results[i]?.error;
    if (error) return error;
  }
  return undefined;
}
