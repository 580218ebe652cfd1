import {
  ApiError,
  CleanupError,
  DeadlineError,
  EndpointUnreachableError,
  formatIssues,
  messageOf,
  NetworkError,
  type ValidationIssue,
} from './errors.ts';
import type { ManifestOrigin, ResourceType, TagSpec } from './manifest/types.ts';

/** The final word on one resource of one manifest. `deferred` means handed on, not dropped. */
export type Outcome = 'removed' | 'partial' | 'failed' | 'rejected' | 'deferred' | 'planned';

/** An error as it appears in logs and reports: never a signed URL, body or header. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
}

/** Why a call gave up. `exhausted` and `deadline` leave work that may be handed on. */
export type GiveUpReason = 'permanent' | 'fatal' | 'exhausted' | 'deadline' | 'stopped';

/** What every result counts, whatever became of the resource. */
interface ResultCounts {
  /** `${regionId}/${resourceType}/${resourceId}`, or `entry#<index>` for a rejected entry without an id. */
  readonly key: string;
  /** Tags whose RemoveTags call was accepted. */
  readonly removed: readonly TagSpec[];
  /** RemoveTags calls issued (each may take several attempts). */
  readonly calls: number;
  /** HTTP requests sent, retries included. */
  readonly attempts: number;
  readonly throttles: number;
  readonly requestIds: readonly string[];
  readonly durationMs: number;
}

/** A planned resource always has all three identifiers. */
interface PlannedIdentity {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
}

/** A manifest entry that failed validation: it keeps whichever identifiers could be read. */
export interface RejectedResult extends ResultCounts {
  readonly status: 'rejected';
  readonly regionId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly error: ErrorInfo;
  readonly issues: readonly ValidationIssue[];
}

/** Dry run: the calls that would be made. */
export interface PlannedResult extends ResultCounts, PlannedIdentity {
  readonly status: 'planned';
  readonly plannedCalls: readonly (readonly TagSpec[])[];
}

/** A resource whose calls ran to an end: all accepted, or stopped by a permanent error. */
export interface FinishedResult extends ResultCounts, PlannedIdentity {
  readonly status: 'removed' | 'partial' | 'failed';
  readonly error?: ErrorInfo;
  /** The resource no longer exists: its tags are gone with it, so the work is done, not failed. */
  readonly resourceGone?: true;
}

/** Work the pipeline could not finish; the caller settles it (hands it on, fails or defers it). */
export interface UnfinishedResult extends ResultCounts, PlannedIdentity {
  readonly status: 'unfinished';
  /** Why the work is unfinished. */
  readonly unfinishedReason: GiveUpReason;
  /** Tags not confirmed removed that are still worth another try. */
  readonly remaining: readonly TagSpec[];
  readonly error?: ErrorInfo;
}

/** Where the pipeline left one resource; the status tells which fields exist. */
export type ResourceResult = RejectedResult | PlannedResult | FinishedResult | UnfinishedResult;

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
  /** Set on `removed` when the resource was deleted before its tags were (sweep and event manifests). */
  readonly resourceGone?: true;
  readonly continuationMessageId?: string;
  readonly deadLetterMessageId?: string;
}

/** The `manifest.summary` log line. */
export interface ManifestSummary {
  readonly event: 'manifest.summary';
  readonly manifestId: string;
  readonly dryRun: boolean;
  /** Who made the manifest (a sweep's policy, an event adapter's event ids); absent for hand-written ones. */
  readonly origin?: ManifestOrigin;
  readonly resources: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly tagsRemoved: number;
  /** Dry run only: the tags and calls a real run would send. */
  readonly tagsPlanned?: number;
  readonly callsPlanned?: number;
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
  if (error instanceof EndpointUnreachableError) return { code: 'EndpointUnreachable', message: error.message };
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
export function settleWithoutQueue(result: UnfinishedResult): Settlement {
  if (result.unfinishedReason === 'fatal' || result.unfinishedReason === 'stopped') {
    return { outcome: 'deferred', ...(result.error && { error: result.error }) };
  }
  return { outcome: result.removed.length > 0 ? 'partial' : 'failed', ...(result.error && { error: result.error }) };
}
