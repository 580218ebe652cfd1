/** The one `sweep.summary` line every sweep ends with, from the CLI and from the scheduled Lambda alike. */
import type { SweepCounts } from './plan-sweep.ts';

/** Why a sweep changed nothing on purpose. */
export type SweepRefusal = 'maxResources';

export interface SweepSummary extends SweepCounts {
  readonly event: 'sweep.summary';
  readonly policy: string;
  readonly regions: readonly string[];
  /** False when a listing failed or the deadline cut listing short: the next sweep covers the rest. */
  readonly complete: boolean;
  readonly incompletePartitions: readonly string[];
  /** Distinct key/value pairs DescribeTags reported, over every region. */
  readonly tagPairsSeen: number;
  /** Manifests run, written or enqueued (planned, in a dry run). */
  readonly manifests: number;
  /** DescribeTags and ListTagResources calls, retries not counted. */
  readonly listCalls: number;
  /** Listing requests answered with a throttle. */
  readonly throttled: number;
  readonly refused: SweepRefusal | null;
  readonly durationMs: number;
}

/**
 * The brake: a policy written by mistake must not strip a whole account, so more than `maxResources`
 * changes (counted after protection and exclusion) need `--force`.
 */
export function brakeRefusal(counts: SweepCounts, maxResources: number, force: boolean): SweepRefusal | null {
  return !force && counts.resourcesMatched > maxResources ? 'maxResources' : null;
}
