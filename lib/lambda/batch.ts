import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendToDlq } from '../aws/send-to-dlq.ts';
import type { Config } from '../config.ts';
import { formatIssues, ManifestError, messageOf } from '../core/errors.ts';
import { parseManifest } from '../core/manifest/parse.ts';
import type { Manifest } from '../core/manifest/types.ts';
import { type ManifestSummary, settleWithoutQueue, toErrorInfo } from '../core/outcome.ts';
import type { QueueSender, RemoveTagsClient, TimeSource } from '../core/ports.ts';
import { Executor } from '../engine/executor.ts';
import { type ManifestRun, runManifest } from '../engine/pipeline.ts';
import type { AdaptiveRateController } from '../engine/rate-controller.ts';
import type { Logger } from '../logger.ts';
import { type Handoff, type HandoffFailure, handOff } from './handoff.ts';
import { invocationDeadlineAt } from './invocation-deadline.ts';
import { emptyMetrics, type InvocationMetrics, toEmf } from './metrics.ts';

/** What one invocation needs; built once per cold start except the executor, which is per invocation. */
export interface BatchDeps extends TimeSource {
  readonly config: Config & { readonly queueUrl: string; readonly dlqUrl: string };
  /** Sends continuations and dead letters (SqsQueueSender in production). */
  readonly queue: QueueSender;
  readonly client: RemoveTagsClient;
  /** Shared across invocations of one container, so that throttling learnt once is remembered. */
  readonly rate: AdaptiveRateController;
  readonly logger: Logger;
}

/** One SQS batch and the invocation it arrived in. */
export interface BatchInput {
  readonly records: readonly SQSRecord[];
  /** Epoch ms after which no call starts; already net of the safety margin. */
  readonly deadlineAt: number;
  readonly awsRequestId: string;
  readonly functionName: string;
}

/** What {@link processBatch} decided: the records SQS must redeliver, and what it logged. */
export interface BatchResult {
  readonly batchItemFailures: SQSBatchItemFailure[];
  readonly summaries: readonly ManifestSummary[];
  readonly metrics: InvocationMetrics;
}

/**
 * Processes one SQS batch: poison to the DLQ, every manifest through one shared executor, unfinished work
 * handed on as continuations (or to the DLQ once exhausted). A record is reported as a batch item failure
 * exactly when some of its work was neither finished nor handed on, so SQS redelivers it.
 */
export async function processBatch(input: BatchInput, deps: BatchDeps): Promise<BatchResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const log = deps.logger.child({ awsRequestId: input.awsRequestId });
  const metrics = emptyMetrics();
  const failures = new Set<string>();
  const executor = new Executor({
    rate: deps.rate,
    concurrency: deps.config.concurrency,
    maxAttempts: deps.config.maxAttempts,
    requestTimeoutMs: deps.config.requestTimeoutMs,
    deadlineAt: input.deadlineAt,
    logger: log,
    ...(deps.sleep && { sleep: deps.sleep }),
    ...(deps.now && { now: deps.now }),
    ...(deps.random && { random: deps.random }),
  });

  const accepted: { record: SQSRecord; manifest: Manifest; log: Logger }[] = [];
  for (const record of input.records) {
    const recordLog = log.child({ messageId: record.messageId });
    const manifest = await admit(record, recordLog, deps, metrics);
    if (manifest === 'failed') failures.add(record.messageId);
    else if (manifest !== 'poison') accepted.push({ record, manifest, log: recordLog });
  }

  const runs = await Promise.all(
    accepted.map(async ({ record, manifest, log: recordLog }) => ({
      record,
      log: recordLog,
      run: await runManifest(manifest, { client: deps.client, executor, logger: recordLog, now }),
    })),
  );

  const summaries = await settleRuns(runs, executor, deps, failures, metrics);

  if (executor.stopped) {
    log.error(
      { event: 'invocation.fatal', error: toErrorInfo(executor.stopError), redelivered: [...failures] },
      'invocation.fatal',
    );
  }
  const batchItemFailures = input.records
    .filter((r) => failures.has(r.messageId))
    .map((r) => ({ itemIdentifier: r.messageId }));
  logInvocation(log, {
    input,
    summaries,
    metrics,
    batchItemFailures,
    rateQps: deps.rate.rateQps,
    durationMs: now() - startedAt,
  });
  log.info(toEmf(metrics, now(), input.functionName), 'invocation.metrics');
  return { batchItemFailures, summaries, metrics };
}

/** Settles every run (hand-off or DLQ for unfinished work) and adds its summary to the metrics. */
async function settleRuns(
  runs: readonly { record: SQSRecord; run: ManifestRun; log: Logger }[],
  executor: Executor,
  deps: BatchDeps,
  failures: Set<string>,
  metrics: InvocationMetrics,
): Promise<ManifestSummary[]> {
  const summaries: ManifestSummary[] = [];
  for (const { record, run, log: recordLog } of runs) {
    const summary = await settleRun(record, run, executor, deps, recordLog, failures);
    summaries.push(summary);
    metrics.tagsRemoved += summary.tagsRemoved;
    metrics.calls += summary.calls;
    metrics.retries += summary.retries;
    metrics.throttled += summary.throttled;
    metrics.failedResources += summary.byOutcome.failed + summary.byOutcome.partial;
    metrics.deferredResources += summary.byOutcome.deferred;
  }
  return summaries;
}

/** The one `invocation.summary` line. */
function logInvocation(
  log: Logger,
  facts: {
    readonly input: BatchInput;
    readonly summaries: readonly ManifestSummary[];
    readonly metrics: InvocationMetrics;
    readonly batchItemFailures: readonly SQSBatchItemFailure[];
    readonly rateQps: number;
    readonly durationMs: number;
  },
): void {
  log.info(
    {
      event: 'invocation.summary',
      records: facts.input.records.length,
      manifests: facts.summaries.length,
      poison: facts.metrics.poisonMessages,
      batchItemFailures: facts.batchItemFailures.length,
      rateQps: Math.round(facts.rateQps * 10) / 10,
      durationMs: facts.durationMs,
      ...facts.metrics,
    },
    'invocation.summary',
  );
}

/** The Lambda handler's shape. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Wraps {@link processBatch} as a Lambda handler: the deadline is the invocation's remaining time less the
 * safety margin (the configured one, or a third of the remaining time when less), so hand-off and logging
 * still fit before Lambda stops the function, and a short timeout still makes progress.
 */
export function makeBatchHandler(deps: BatchDeps): SqsBatchHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    const deadlineAt = invocationDeadlineAt(now(), context.getRemainingTimeInMillis(), deps.config.deadlineMarginMs);
    const { batchItemFailures } = await processBatch(
      { records: event.Records, deadlineAt, awsRequestId: context.awsRequestId, functionName: context.functionName },
      deps,
    );
    return { batchItemFailures };
  };
}

/** Parses a record; poison goes to the DLQ (and is acknowledged) or, if that send fails, back to SQS. */
async function admit(
  record: SQSRecord,
  log: Logger,
  deps: BatchDeps,
  metrics: InvocationMetrics,
): Promise<Manifest | 'poison' | 'failed'> {
  try {
    return parseManifest(record.body, { maxResources: deps.config.maxResources });
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    metrics.poisonMessages++;
    const reason = { code: 'InvalidManifest', message: formatIssues(error.issues), source: record.messageId };
    try {
      const deadLetterMessageId = await sendToDlq(deps.queue, deps.config.dlqUrl, record.body, reason);
      log.warn({ event: 'message.poison', reason: reason.message, deadLetterMessageId }, 'message.poison');
      return 'poison';
    } catch (sendError) {
      log.error(
        {
          event: 'message.poison',
          reason: reason.message,
          error: { code: 'DlqSendFailed', message: messageOf(sendError) },
        },
        'message.poison',
      );
      return 'failed';
    }
  }
}

/** Settles a manifest's unfinished resources: redelivery on a fatal stop, else continuation or DLQ. */
async function settleRun(
  record: SQSRecord,
  run: ManifestRun,
  executor: Executor,
  deps: BatchDeps,
  log: Logger,
  failures: Set<string>,
): Promise<ManifestSummary> {
  if (run.unfinished.length === 0) return run.settle(settleWithoutQueue);
  const stoppedByFatal = run.unfinished.some((r) => r.unfinishedReason === 'fatal' || r.unfinishedReason === 'stopped');
  if (stoppedByFatal || executor.stopped) {
    // Credentials or signing are broken: a continuation would fail the same way. Let SQS redeliver the
    // record and, after maxReceiveCount, dead-letter it.
    failures.add(record.messageId);
    const error = toErrorInfo(executor.stopError);
    return run.settle((r) => ({ outcome: 'deferred', error: r.error ?? error }));
  }
  const handoff: Handoff = await handOff(run.manifest, run.unfinished, record.messageId, {
    queue: deps.queue,
    queueUrl: deps.config.queueUrl,
    dlqUrl: deps.config.dlqUrl,
    maxContinuations: deps.config.maxContinuations,
    maxMessageBytes: deps.config.maxMessageBytes,
    madeProgress: run.results.some((r) => r.removed.length > 0),
    ...(deps.random && { random: deps.random }),
  });
  if (handoff.failure !== undefined) {
    failures.add(record.messageId);
    logHandoffFailure(log, run, handoff.failure);
  }
  if (handoff.continuationMessageIds.length > 0) {
    log.info(
      {
        event: 'manifest.continued',
        continuationMessageIds: handoff.continuationMessageIds,
        resources: run.unfinished.length,
      },
      'manifest.continued',
    );
  }
  return run.settle(handoff.settle);
}

/** One line when unfinished work could not be sent on: SQS will redeliver the whole record. */
function logHandoffFailure(log: Logger, run: ManifestRun, failure: HandoffFailure): void {
  log.error(
    {
      event: 'handoff.failed',
      manifestId: run.manifest.manifestId,
      queue: failure.queue,
      error: { code: failure.code, message: failure.message },
      resources: run.unfinished.length,
    },
    'handoff.failed',
  );
}
