import { ApiError, CredentialsError, classifyError } from '../../core/errors.ts';
import { type ErrorInfo, toErrorInfo } from '../../core/outcome.ts';
import type { ParsedPolicy } from '../../core/policy/policy.ts';
import { planSweep, type SweepPlan } from '../../core/sweep/plan-sweep.ts';
import { brakeRefusal, type SweepRefusal, type SweepSummary } from '../../core/sweep/sweep-summary.ts';
import { type InventoryListingOptions, listPolicyInventory } from './list-policy-inventory.ts';

export interface SweepOptions extends InventoryListingOptions {
  /** Regions to sweep: the policy's, or a subset of them. */
  readonly regionIds: readonly string[];
  /** Epoch ms the sweep started: it names the manifests. */
  readonly startedAt: number;
  /** Resources per manifest at most. */
  readonly maxResourcesPerManifest: number;
  /** Lift the policy's `maxResources` brake. */
  readonly force: boolean;
}

/** What a sweep found and would do, before anything is run, written or enqueued. */
export interface SweepResult {
  readonly plan: SweepPlan;
  /** Set when the brake stopped the sweep: nothing may be delivered. */
  readonly refused: SweepRefusal | null;
  readonly tagPairsSeen: number;
  readonly listCalls: number;
  readonly throttled: number;
  /** Set when the API refused the credentials, signature or clock during listing: a setup error, not an outage. */
  readonly credentialsRefused?: ErrorInfo;
}

/** Lists the inventory a policy covers and plans its manifests, applying the brake. */
export async function listAndPlanSweep(parsed: ParsedPolicy, options: SweepOptions): Promise<SweepResult> {
  const inventory = await listPolicyInventory(parsed.policy, options.regionIds, options);
  const plan = planSweep({
    policy: parsed.policy,
    policySha256: parsed.policySha256,
    partitions: inventory.regions.flatMap((r) => r.partitions),
    startedAt: options.startedAt,
    maxResourcesPerManifest: options.maxResourcesPerManifest,
  });
  const refusal = inventory.regions
    .flatMap((r) => r.partitions)
    .map((p) => p.error)
    .find(isCredentialsRefusal);
  return {
    plan,
    refused: brakeRefusal(plan.counts, parsed.policy.maxResources, options.force),
    tagPairsSeen: inventory.regions.reduce((n, r) => n + r.tagPairsSeen, 0),
    listCalls: inventory.listCalls,
    throttled: inventory.throttled,
    ...(refusal !== undefined && { credentialsRefused: toErrorInfo(refusal) }),
  };
}

// Only an answer from the API (or the credential chain) counts: a deadline or a stop is fatal to the
// executor too, but says nothing about the credentials.
function isCredentialsRefusal(error: unknown): boolean {
  return (error instanceof ApiError || error instanceof CredentialsError) && classifyError(error) === 'fatal';
}

/** The `sweep.summary` line of a finished sweep. */
export function sweepSummary(
  result: SweepResult,
  context: {
    readonly policy: string;
    readonly regionIds: readonly string[];
    readonly manifests: number;
    readonly durationMs: number;
  },
): SweepSummary {
  return {
    event: 'sweep.summary',
    policy: context.policy,
    regions: context.regionIds,
    complete: result.plan.incompletePartitions.length === 0,
    incompletePartitions: result.plan.incompletePartitions,
    tagPairsSeen: result.tagPairsSeen,
    ...result.plan.counts,
    manifests: result.refused === null ? context.manifests : 0,
    listCalls: result.listCalls,
    throttled: result.throttled,
    refused: result.refused,
    durationMs: context.durationMs,
  };
}
