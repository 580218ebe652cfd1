import type { GiveUpReason } from '../engine/executor.ts';
import type { Logger } from '../logger.ts';
import {
  ApiError,
  CleanupError,
  DeadlineError,
  formatIssues,
  messageOf,
  NetworkError,
  type ValidationIssue,
} from './errors.ts';
import type { TagSpec } from './manifest/types.ts';

/** The final word on one resource of one manifest. `deferred` means handed on, not dropped. */
export type Outcome = 'removed' | 'partial' | 'failed' | 'rejected' | 'deferred' | 'planned';

export const OUTCOMES: readonly Outcome[] = ['removed', 'partial', 'failed', 'rejected', 'deferred', 'planned'];

/** An error as it appears in logs and reports: never a signed URL, body or header. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
}

/** Where the pipeline left one resource; `unfinished` still has to be settled by the caller. */
export type ResourceStatus = Exclude<Outcome, 'deferred'> | 'unfinished';

export interface ResourceResult {
  readonly key: string;
  readonly regionId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly status: ResourceStatus;
  /** Tags whose RemoveTags call was accepted. */
  readonly removed: readonly TagSpec[];
  /** Tags not confirmed removed that are still worth another try (only when `unfinished`). */
  readonly remaining: readonly TagSpec[];
  /** Dry run only: the calls that would be made. */
  readonly plannedCalls?: readonly (readonly TagSpec[])[];
  /** RemoveTags calls issued (each may take several attempts). */
  readonly calls: number;
  /** HTTP requests sent, retries included. */
  readonly attempts: number;
  readonly throttles: number;
  readonly requestIds: readonly string[];
  readonly error?: ErrorInfo;
  /** Why the work is unfinished, when it is. */
  readonly unfinishedReason?: GiveUpReason;
  readonly issues?: readonly ValidationIssue[];
  readonly durationMs: number;
}

/** How an adapter (CLI or Lambda) resolved an unfinished resource. */
export interface Settlement {
  readonly outcome: Outcome;
  readonly error?: ErrorInfo;
  /** The SQS message that carries the rest of the work. */
  readonly continuationMessageId?: string;
  /** Set when the rest of the work went to the dead-letter queue. */
  readonly deadLetterMessageId?: string;
}

/** The one `resource.outcome` log line for a resource. */
export interface OutcomeLine {
  readonly event: 'resource.outcome';
  readonly manifestId: string;
  readonly regionId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly outcome: Outcome;
  readonly removed: readonly TagSpec[];
  readonly calls: number;
  readonly attempts: number;
  readonly requestIds: readonly string[];
  readonly error?: ErrorInfo;
  readonly durationMs: number;
  readonly plannedCalls?: readonly (readonly TagSpec[])[];
  readonly remaining?: readonly TagSpec[];
  readonly continuationMessageId?: string;
  readonly deadLetterMessageId?: string;
}

/** The `manifest.summary` log line. */
export interface ManifestSummary {
  readonly event: 'manifest.summary';
  readonly manifestId: string;
  readonly dryRun: boolean;
  readonly resources: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly tagsRemoved: number;
  readonly calls: number;
  readonly retries: number;
  readonly throttled: number;
  readonly durationMs: number;
}

/** Turns any thrown value into the ErrorInfo shape used in logs. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ApiError) {
    return {
      code: error.code,
      message: error.apiMessage,
      httpStatus: error.httpStatus,
      ...(error.requestId !== undefined && { requestId: error.requestId }),
    };
  }
  if (error instanceof NetworkError) return { code: error.code, message: error.message };
  if (error instanceof DeadlineError) return { code: 'DeadlineExceeded', message: error.message };
  if (error instanceof CleanupError) return { code: error.name, message: error.message };
  return { code: 'InternalError', message: messageOf(error) };
}

/** Error info for a rejected manifest entry. */
export function rejectionInfo(issues: readonly ValidationIssue[]): ErrorInfo {
  return { code: 'InvalidManifestEntry', message: formatIssues(issues) };
}

/**
 * Settlement when there is no queue to hand work to (the CLI): work stopped by a fatal error is
 * `deferred` (it was never tried, and the exit code says so); work that ran out of attempts or time failed.
 */
export function settleWithoutQueue(result: ResourceResult): Settlement {
  if (result.unfinishedReason === 'fatal' || result.unfinishedReason === 'stopped') {
    return { outcome: 'deferred', ...(result.error && { error: result.error }) };
  }
  return { outcome: result.removed.length > 0 ? 'partial' : 'failed', ...(result.error && { error: result.error }) };
}

/**
 * Writes exactly one outcome line per resource and one summary per manifest, and tallies them.
 * Guards the contract: a second outcome for the same resource is a bug and throws.
 */
export class ManifestReporter {
  readonly #logger: Logger;
  readonly #manifestId: string;
  readonly #dryRun: boolean;
  readonly #startedAt: number;
  readonly #now: () => number;
  readonly #reported = new Set<string>();
  readonly #byOutcome: Record<Outcome, number> = {
    removed: 0,
    partial: 0,
    failed: 0,
    rejected: 0,
    deferred: 0,
    planned: 0,
  };
  readonly lines: OutcomeLine[] = [];
  #tagsRemoved = 0;
  #calls = 0;
  #retries = 0;
  #throttled = 0;

  constructor(logger: Logger, manifestId: string, dryRun: boolean, now: () => number = Date.now) {
    this.#logger = logger;
    this.#manifestId = manifestId;
    this.#dryRun = dryRun;
    this.#now = now;
    this.#startedAt = now();
  }

  /** Logs the outcome of a resource; `settlement` is required for unfinished results. */
  report(result: ResourceResult, settlement?: Settlement): OutcomeLine {
    if (this.#reported.has(result.key)) throw new Error(`second outcome for ${result.key} in ${this.#manifestId}`);
    if (result.status === 'unfinished' && settlement === undefined) {
      throw new Error(`unfinished ${result.key} reported without a settlement`);
    }
    this.#reported.add(result.key);
    const outcome: Outcome = settlement?.outcome ?? (result.status as Outcome);
    const error = settlement?.error ?? result.error;
    const line: OutcomeLine = {
      event: 'resource.outcome',
      manifestId: this.#manifestId,
      ...(result.regionId !== undefined && { regionId: result.regionId }),
      ...(result.resourceType !== undefined && { resourceType: result.resourceType }),
      ...(result.resourceId !== undefined && { resourceId: result.resourceId }),
      outcome,
      removed: result.removed,
      calls: result.calls,
      attempts: result.attempts,
      requestIds: result.requestIds,
      ...(error !== undefined && { error }),
      durationMs: result.durationMs,
      ...(result.plannedCalls !== undefined && { plannedCalls: result.plannedCalls }),
      ...(result.status === 'unfinished' && { remaining: result.remaining }),
      ...(settlement?.continuationMessageId !== undefined && {
        continuationMessageId: settlement.continuationMessageId,
      }),
      ...(settlement?.deadLetterMessageId !== undefined && { deadLetterMessageId: settlement.deadLetterMessageId }),
    };
    this.#byOutcome[outcome]++;
    this.#tagsRemoved += result.removed.length;
    this.#calls += result.calls;
    this.#retries += Math.max(0, result.attempts - result.calls);
    this.#throttled += result.throttles;
    this.lines.push(line);
    const level = outcome === 'failed' || outcome === 'partial' ? 'warn' : 'info';
    this.#logger[level](line, 'resource.outcome');
    return line;
  }

  /** Logs and returns the manifest summary. */
  finish(): ManifestSummary {
    const summary: ManifestSummary = {
      event: 'manifest.summary',
      manifestId: this.#manifestId,
      dryRun: this.#dryRun,
      resources: this.#reported.size,
      byOutcome: { ...this.#byOutcome },
      tagsRemoved: this.#tagsRemoved,
      calls: this.#calls,
      retries: this.#retries,
      throttled: this.#throttled,
      durationMs: this.#now() - this.#startedAt,
    };
    this.#logger.info(summary, 'manifest.summary');
    return summary;
  }
}
