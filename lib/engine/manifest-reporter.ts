import type { ManifestOrigin } from '../core/manifest/types.ts';
import type { ManifestSummary, Outcome, OutcomeLine, ResourceResult, Settlement } from '../core/outcome.ts';
import type { Logger } from '../logger.ts';

/**
 * Writes exactly one outcome line per resource and one summary per manifest, and tallies them.
 * Guards the contract: a second outcome for the same resource is a bug and throws.
 */
export class ManifestReporter {
  readonly #logger: Logger;
  readonly #manifestId: string;
  readonly #dryRun: boolean;
  readonly #origin: ManifestOrigin | undefined;
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
  #tagsPlanned = 0;
  #callsPlanned = 0;
  #calls = 0;
  #retries = 0;
  #throttled = 0;

  constructor(
    logger: Logger,
    manifestId: string,
    dryRun: boolean,
    now: () => number = Date.now,
    origin?: ManifestOrigin,
  ) {
    this.#origin = origin;
    this.#logger = logger;
    this.#manifestId = manifestId;
    this.#dryRun = dryRun;
    this.#now = now;
    this.#startedAt = now();
  }

  /** Logs the outcome of a resource; an unfinished result needs the `settlement` that decides its outcome. */
  report(result: ResourceResult, settlement?: Settlement): OutcomeLine {
    if (this.#reported.has(result.key)) throw new Error(`second outcome for ${result.key} in ${this.#manifestId}`);
    const outcome = outcomeOf(result, settlement);
    this.#reported.add(result.key);
    const line = outcomeLine(this.#manifestId, result, outcome, settlement);
    this.#byOutcome[outcome]++;
    this.#tagsRemoved += result.removed.length;
    if (result.status === 'planned') {
      this.#callsPlanned += result.plannedCalls.length;
      this.#tagsPlanned += result.plannedCalls.reduce((n, call) => n + call.length, 0);
    }
    this.#calls += result.calls;
    this.#retries += Math.max(0, result.attempts - result.calls);
    this.#throttled += result.throttles;
    this.lines.push(line);
    // Anything short of the work done (or planned) is worth a look, whatever the reason.
    const level = outcome === 'removed' || outcome === 'planned' ? 'info' : 'warn';
    this.#logger[level](line, 'resource.outcome');
    return line;
  }

  /** Logs and returns the manifest summary. */
  finish(): ManifestSummary {
    const summary: ManifestSummary = {
      event: 'manifest.summary',
      manifestId: this.#manifestId,
      dryRun: this.#dryRun,
      ...(this.#origin !== undefined && { origin: this.#origin }),
      resources: this.#reported.size,
      byOutcome: { ...this.#byOutcome },
      tagsRemoved: this.#tagsRemoved,
      ...(this.#dryRun && { tagsPlanned: this.#tagsPlanned, callsPlanned: this.#callsPlanned }),
      calls: this.#calls,
      retries: this.#retries,
      throttled: this.#throttled,
      durationMs: this.#now() - this.#startedAt,
    };
    this.#logger.info(summary, 'manifest.summary');
    return summary;
  }
}

/** The settlement decides an unfinished result's outcome; any other result's status is its outcome. */
function outcomeOf(result: ResourceResult, settlement: Settlement | undefined): Outcome {
  if (result.status !== 'unfinished') return settlement?.outcome ?? result.status;
  if (settlement === undefined) throw new Error(`unfinished ${result.key} reported without a settlement`);
  return settlement.outcome;
}

/** The `resource.outcome` line; its field order is part of the log format, so it is written out in full. */
function outcomeLine(
  manifestId: string,
  result: ResourceResult,
  outcome: Outcome,
  settlement: Settlement | undefined,
): OutcomeLine {
  const error = settlement?.error ?? (result.status === 'planned' ? undefined : result.error);
  return {
    event: 'resource.outcome',
    manifestId,
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
    ...(result.status === 'planned' && { plannedCalls: result.plannedCalls }),
    ...(result.status === 'unfinished' && { remaining: result.remaining }),
    ...(result.status === 'removed' && result.resourceGone === true && { resourceGone: true as const }),
    ...(settlement?.continuationMessageId !== undefined && {
      continuationMessageId: settlement.continuationMessageId,
    }),
    ...(settlement?.deadLetterMessageId !== undefined && { deadLetterMessageId: settlement.deadLetterMessageId }),
  };
}
