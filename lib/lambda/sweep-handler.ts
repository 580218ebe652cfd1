import type { Context } from 'aws-lambda';
import type { CredentialsSource } from '../alibaba/credentials.ts';
import { enqueueSweepManifests } from '../aws/enqueue-sweep-manifests.ts';
import type { SweepConfig } from '../config.ts';
import { PolicyError, SqsSendError } from '../core/errors.ts';
import { toErrorInfo } from '../core/outcome.ts';
import type { ParsedPolicy } from '../core/policy/policy.ts';
import type { Clock, InventoryClient, QueueSender, Sleep } from '../core/ports.ts';
import type { SweepSummary } from '../core/sweep/sweep-summary.ts';
import { listAndPlanSweep, sweepSummary } from '../engine/sweep/list-and-plan.ts';
import type { Logger } from '../logger.ts';
import { loadPolicyFile } from '../policy-file.ts';
import { invocationDeadlineAt } from './invocation-deadline.ts';

/** What the scheduled sweep needs; built once per cold start. It has no RemoveTags client on purpose. */
export interface SweepDeps {
  readonly config: SweepConfig;
  /** DescribeTags and ListTagResources (EcsClient in production). */
  readonly inventory: InventoryClient;
  /** The work queue's sender (SqsQueueSender in production). */
  readonly queue: QueueSender;
  readonly logger: Logger;
  /** Asked once before listing, so a broken credentials path fails the run instead of every listing. */
  readonly credentials?: CredentialsSource;
  /** Reads the policy file. @default loadPolicyFile */
  readonly loadPolicy?: (path: string) => Promise<ParsedPolicy>;
  readonly now?: Clock;
  readonly sleep?: Sleep;
}

/** The scheduled Lambda's shape: the schedule's event is not read; the summary is returned for tests. */
export type ScheduledSweepHandler = (event: unknown, context: Context) => Promise<SweepSummary>;

/**
 * The scheduled sweep: reads the packaged policy, lists what it covers until the deadline (the remaining
 * time less the scaled safety margin), plans, applies the brake, and enqueues the manifests to the work
 * queue, split to fit. It never removes a tag itself. Ends with one `sweep.summary` line, `complete: false`
 * when the deadline or a failed listing cut the listing short; what was found is enqueued all the same.
 * A bad policy or broken credentials log one `sweep.fatal` line and throw, so the invocation counts as an
 * error; so do manifests that could not be enqueued (after the summary).
 */
export function makeSweepHandler(deps: SweepDeps): ScheduledSweepHandler {
  const now = deps.now ?? Date.now;
  return async (_event, context) => {
    const startedAt = now();
    const deadlineAt = invocationDeadlineAt(
      startedAt,
      context.getRemainingTimeInMillis(),
      deps.config.deadlineMarginMs,
    );
    const log = deps.logger.child({ awsRequestId: context.awsRequestId });
    const parsed = await readyToList(deps, log);
    const { config } = deps;
    const regionIds = parsed.policy.regions;
    const result = await listAndPlanSweep(parsed, {
      client: deps.inventory,
      logger: log,
      regionIds,
      startedAt,
      deadlineAt,
      // The brake always holds on a schedule: nobody is there to pass --force.
      force: false,
      maxResourcesPerManifest: config.maxResources,
      concurrency: config.concurrency,
      maxAttempts: config.maxAttempts,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(config.maxQps !== undefined && { maxQps: config.maxQps }),
      ...(deps.now && { now: deps.now }),
      ...(deps.sleep && { sleep: deps.sleep }),
    });
    const { manifests } = result.plan;
    const target = { queue: deps.queue, queueUrl: config.queueUrl, maxMessageBytes: config.maxMessageBytes };
    const failed = result.refused === null ? await enqueueSweepManifests(manifests, target, log) : 0;
    const summary = sweepSummary(result, {
      policy: parsed.policy.name,
      regionIds,
      manifests: manifests.length - failed,
      durationMs: now() - startedAt,
    });
    log[summary.complete && summary.refused === null ? 'info' : 'warn'](summary, 'sweep.summary');
    // After the summary, so the line is written; the throw makes the invocation count as an error.
    if (failed > 0) {
      throw new SqsSendError('SweepNotEnqueued', `${failed} of ${manifests.length} sweep manifests were not enqueued`);
    }
    return summary;
  };
}

/** The policy, with credentials checked; a problem with either is logged as `sweep.fatal` and thrown. */
async function readyToList(deps: SweepDeps, log: Logger): Promise<ParsedPolicy> {
  const policyFile = deps.config.policyFile;
  try {
    const parsed = await (deps.loadPolicy ?? loadPolicyFile)(policyFile);
    await deps.credentials?.();
    return parsed;
  } catch (error) {
    const issues = error instanceof PolicyError ? { issues: error.issues } : {};
    log.error({ event: 'sweep.fatal', policyFile, error: toErrorInfo(error), ...issues }, 'sweep.fatal');
    throw error;
  }
}
