/** The event adapter's logic: queued CloudEvents in, manifests on the work queue and a partial batch response out. */
import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import type { EventsConfig } from '../config.ts';
import type { EventVerdict } from '../core/events/plan-event-manifests.ts';
import { resolveBatch } from '../core/events/resolve-batch.ts';
import type { IgnoredReason } from '../core/events/types.ts';
import type { ParsedPolicy } from '../core/policy/policy.ts';
import type { InventoryClient, QueueSender, TimeSource } from '../core/ports.ts';
import { listAndPlanTargets } from '../engine/events/list-and-plan-targets.ts';
import { type RateFor, regionRates } from '../engine/events/read-target-tags.ts';
import type { Logger } from '../logger.ts';
import type { SqsBatchHandler } from './batch.ts';
import { deliverEventManifests } from './events-deliver.ts';
import { triageRecords } from './events-triage.ts';
import { invocationDeadlineAt } from './invocation-deadline.ts';

/** The settings the adapter uses. */
export type EventsHandlerConfig = Pick<
  EventsConfig,
  | 'queueUrl'
  | 'eventsDlqUrl'
  | 'maxMessageBytes'
  | 'maxResources'
  | 'concurrency'
  | 'maxAttempts'
  | 'requestTimeoutMs'
  | 'deadlineMarginMs'
  | 'maxQps'
  | 'selfPrincipalId'
>;

/** What the adapter needs; built once per cold start. */
export interface EventsDeps extends TimeSource {
  readonly config: EventsHandlerConfig;
  readonly policy: ParsedPolicy;
  /** Lists current tags (EcsClient in production). */
  readonly client: InventoryClient;
  /** Sends manifests to the work queue and poison to the events DLQ (SqsQueueSender in production). */
  readonly queue: QueueSender;
  readonly logger: Logger;
}

/** One SQS batch of queued CloudEvents. */
export interface EventsBatchInput {
  readonly records: readonly SQSRecord[];
  /** Epoch ms after which no listing call starts. */
  readonly deadlineAt: number;
  readonly awsRequestId: string;
}

/** The `events.summary` line, one per invocation. */
export interface EventsSummary {
  readonly event: 'events.summary';
  readonly records: number;
  /** Distinct resources the events named. */
  readonly resources: number;
  readonly ignored: Partial<Record<IgnoredReason, number>>;
  readonly poison: number;
  readonly verdicts: Readonly<Record<EventVerdict, number>>;
  /** Manifests wholly sent to the work queue. */
  readonly manifests: number;
  /** ListTagResources calls, retries not counted. */
  readonly listCalls: number;
  readonly throttled: number;
  readonly batchItemFailures: number;
  readonly durationMs: number;
}

export interface EventsBatchResult {
  readonly batchItemFailures: SQSBatchItemFailure[];
  readonly summary: EventsSummary;
}

/**
 * Processes one batch: ignored events logged and acknowledged, poison dead-lettered, the named resources
 * listed, judged by the policy and sent as one manifest per region. A record is a batch item failure
 * exactly when work it asked for was neither done nor handed on (a failed listing or send), so SQS
 * redelivers it; removal is idempotent, so redoing the rest of its work is harmless.
 */
export async function processEventsBatch(
  input: EventsBatchInput,
  deps: EventsDeps & { readonly rateFor: RateFor },
): Promise<EventsBatchResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const { config } = deps;
  const log = deps.logger.child({ awsRequestId: input.awsRequestId });
  const batch = resolveBatch(
    input.records.map((r) => r.body),
    config.selfPrincipalId === undefined ? {} : { selfPrincipalId: config.selfPrincipalId },
  );
  const triage = await triageRecords(
    batch.outcomes,
    input.records,
    { ...deps, eventsDlqUrl: config.eventsDlqUrl },
    log,
  );
  const failed = new Set(triage.failedIndexes);
  const planned = await listAndPlanTargets(batch.targets, {
    ...deps,
    logger: log,
    policy: deps.policy.policy,
    startedAt,
    maxResourcesPerManifest: config.maxResources,
    concurrency: config.concurrency,
    maxAttempts: config.maxAttempts,
    requestTimeoutMs: config.requestTimeoutMs,
    deadlineAt: input.deadlineAt,
  });
  for (const target of planned.failed.flatMap((f) => f.targets)) for (const i of target.inputIndexes) failed.add(i);
  const delivery = await deliverEventManifests(
    planned.plan.manifests,
    { ...deps, queueUrl: config.queueUrl, maxMessageBytes: config.maxMessageBytes },
    log,
  );
  for (const target of delivery.failedTargets) for (const i of target.inputIndexes) failed.add(i);
  const batchItemFailures = input.records.filter((_, i) => failed.has(i)).map((r) => ({ itemIdentifier: r.messageId }));
  const summary: EventsSummary = {
    event: 'events.summary',
    records: input.records.length,
    resources: batch.targets.length,
    ignored: triage.ignored,
    poison: triage.poison,
    verdicts: planned.plan.verdicts,
    manifests: delivery.sent,
    listCalls: planned.listCalls,
    throttled: planned.throttled,
    batchItemFailures: batchItemFailures.length,
    durationMs: now() - startedAt,
  };
  log[batchItemFailures.length === 0 ? 'info' : 'warn'](summary, 'events.summary');
  return { batchItemFailures, summary };
}

/**
 * Wraps {@link processEventsBatch} as a Lambda handler. The listing rate controllers live as long as the
 * handler (one container), and the deadline leaves the same safety margin as the cleanup handler's.
 */
export function makeEventsHandler(deps: EventsDeps): SqsBatchHandler {
  const now = deps.now ?? Date.now;
  const rateFor = regionRates({
    ...(deps.config.maxQps !== undefined && { maxQps: deps.config.maxQps }),
    ...(deps.now && { now: deps.now }),
    ...(deps.sleep && { sleep: deps.sleep }),
  });
  return async (event, context) => {
    const deadlineAt = invocationDeadlineAt(now(), context.getRemainingTimeInMillis(), deps.config.deadlineMarginMs);
    const { batchItemFailures } = await processEventsBatch(
      { records: event.Records, deadlineAt, awsRequestId: context.awsRequestId },
      { ...deps, rateFor },
    );
    return { batchItemFailures };
  };
}
