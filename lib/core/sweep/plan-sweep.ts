/** The sweep's pure step: from what the listing found, the manifests that carry out a policy. */
import type { ResourceType } from '../manifest/types.ts';
import type { WireEntry } from '../manifest/wire.ts';
import { evaluateResource, type ObservedResource } from '../policy/evaluate-resource.ts';
import type { Policy } from '../policy/policy.ts';
import { type SweepManifest, sweepManifestId } from './sweep-manifest.ts';

/** What one partition (region and resource type) of the listing found. */
export interface PartitionFindings {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  /** False when a listing failed: its resources are not acted on, and the summary names it. */
  readonly complete: boolean;
  readonly resources: readonly ObservedResource[];
}

/** The summary counts: what would change, after protection and exclusion, and what each left out. */
export interface SweepCounts {
  resourcesMatched: number;
  tagsMatched: number;
  protectedSkipped: number;
  excludedSkipped: number;
}

export interface SweepPlan {
  readonly manifests: readonly SweepManifest[];
  readonly counts: SweepCounts;
  /** `region/resourceType` of every partition whose listing failed. */
  readonly incompletePartitions: readonly string[];
}

export interface SweepPlanInput {
  readonly policy: Policy;
  readonly policySha256: string;
  readonly partitions: readonly PartitionFindings[];
  /** When the sweep started, epoch ms: it names the manifests. */
  readonly startedAt: number;
  /** Resources per manifest at most (the parser's cap); more make several manifests. */
  readonly maxResourcesPerManifest: number;
}

/**
 * Evaluates the policy on every listed resource and groups the removals into one manifest per region
 * (several when a region has more resources than a manifest may hold). Each removal names the value as
 * observed, so a tag whose value changed since listing is left alone by RemoveTags.
 */
export function planSweep(input: SweepPlanInput): SweepPlan {
  const counts: SweepCounts = { resourcesMatched: 0, tagsMatched: 0, protectedSkipped: 0, excludedSkipped: 0 };
  const byRegion = new Map<string, WireEntry[]>();
  for (const partition of input.partitions) {
    if (!partition.complete) continue;
    for (const resource of partition.resources) {
      const entry = entryFor(input.policy, resource, counts);
      if (entry === undefined) continue;
      const entries = byRegion.get(resource.regionId) ?? [];
      entries.push(entry);
      byRegion.set(resource.regionId, entries);
    }
  }
  const manifests = [...byRegion].flatMap(([regionId, entries]) => manifestsFor(input, regionId, entries));
  const incompletePartitions = input.partitions
    .filter((p) => !p.complete)
    .map((p) => `${p.regionId}/${p.resourceType}`);
  return { manifests, counts, incompletePartitions };
}

function entryFor(policy: Policy, resource: ObservedResource, counts: SweepCounts): WireEntry | undefined {
  const verdict = evaluateResource(policy, resource);
  if (verdict.kind === 'excluded') counts.excludedSkipped += 1;
  if (verdict.kind === 'protected') counts.protectedSkipped += 1;
  if (verdict.kind !== 'remove') return undefined;
  counts.resourcesMatched += 1;
  counts.tagsMatched += verdict.tags.length;
  return {
    resourceType: resource.resourceType,
    resourceId: resource.resourceId,
    tags: verdict.tags.map((tag) => ({ key: tag.key, value: tag.value })),
  };
}

function manifestsFor(input: SweepPlanInput, regionId: string, entries: WireEntry[]): SweepManifest[] {
  // A stable order makes two sweeps of the same state produce the same manifests.
  entries.sort((a, b) => compare(a.resourceType, b.resourceType) || compare(a.resourceId, b.resourceId));
  const parts = Math.ceil(entries.length / input.maxResourcesPerManifest);
  return Array.from({ length: parts }, (_, i) => ({
    version: 1 as const,
    manifestId: sweepManifestId(input.policy.name, regionId, input.startedAt, parts > 1 ? i + 1 : undefined),
    regionId,
    dryRun: false,
    origin: { kind: 'sweep' as const, policy: input.policy.name, policySha256: input.policySha256 },
    resources: entries.slice(i * input.maxResourcesPerManifest, (i + 1) * input.maxResourcesPerManifest),
  }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
