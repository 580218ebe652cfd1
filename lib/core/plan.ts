import { chunkTags, dedupeTags } from './chunk-tags.ts';
import type { ValidationIssue } from './errors.ts';
import { isValidResourceId } from './manifest/schema.ts';
import type { Manifest, RejectedEntry, ResourceType, TagSpec } from './manifest/types.ts';

/**
 * Pure planning: a validated manifest in, one outcome per resource and its RemoveTags calls out.
 * No I/O and no clock, so the same manifest always yields the same plan.
 */

/** One resource that will be changed, with every entry that named it merged into one set of calls. */
export interface PlannedResource {
  /** `${regionId}/${resourceType}/${resourceId}` */
  readonly key: string;
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  /** Every manifest entry (index into `resources`) that named this resource. */
  readonly entryIndexes: readonly number[];
  /** The tags to remove, deduplicated, in first-appearance order. */
  readonly tags: readonly TagSpec[];
  /** One RemoveTags call per element, each with 1–5 tags and never the same key twice. */
  readonly calls: readonly (readonly TagSpec[])[];
}

/** A resource (or an entry that names none) that will not be touched because an entry for it was invalid. */
export interface RejectedResource {
  /** `${regionId}/${resourceType}/${resourceId}`, or `entry#<index>` for an entry with no usable resource id. */
  readonly key: string;
  readonly regionId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly entryIndexes: readonly number[];
  readonly issues: readonly ValidationIssue[];
}

/** The whole plan: every manifest entry ends up in exactly one planned or rejected resource. */
export interface Plan {
  readonly manifestId: string;
  readonly resources: readonly PlannedResource[];
  readonly rejected: readonly RejectedResource[];
}

/** The valid entries naming one resource (same region, type and id). */
interface ValidGroup {
  /** The first entry: its region, type and id name the group. */
  readonly first: ValidEntry;
  readonly cluster: Cluster;
  readonly entryIndexes: number[];
  /** Tag lists of later entries for the same resource; most resources are named once, so usually unset. */
  more?: (readonly TagSpec[])[];
}

/** All entries naming one resource id in one region; any rejected entry among them rejects them all. */
interface Cluster {
  readonly firstIndex: number;
  /** One group per resource type, in first-appearance order (at most five, so a list is enough). */
  readonly groups: ValidGroup[];
  rejected?: RejectedEntry[];
}

type ValidEntry = Manifest['resources'][number];

function resourceKey(regionId: string, resourceType: string, resourceId: string): string {
  return `${regionId}/${resourceType}/${resourceId}`;
}

function byIndex<T extends { readonly index: number }>(list: readonly T[]): readonly T[] {
  for (let i = 1; i < list.length; i += 1) {
    if ((list[i] as T).index < (list[i - 1] as T).index) return [...list].sort((a, b) => a.index - b.index);
  }
  return list;
}

/**
 * Plans a manifest: merges entries that name the same resource, rejects a resource outright if any
 * entry naming it (same region and resource id, whatever the type) is invalid, deduplicates its tags
 * and chunks them into calls. Output order is first appearance in the manifest.
 */
export function planManifest(manifest: Manifest): Plan {
  const clusters = clusterEntries(byIndex(manifest.resources), byIndex(manifest.rejected));
  const resources: PlannedResource[] = [];
  for (const group of clusters.groups) if (group.cluster.rejected === undefined) resources.push(toPlanned(group));
  const rejected: RejectedResource[] = [];
  for (const outcome of clusters.outcomes) {
    if (!('groups' in outcome)) rejected.push(orphan(outcome));
    else if (outcome.rejected !== undefined) rejected.push(poisoned(outcome, outcome.rejected));
  }
  return { manifestId: manifest.manifestId, resources, rejected };
}

/** Gathers both index-ordered lists by resource, merging them so clusters appear in first-appearance order. */
function clusterEntries(valid: readonly ValidEntry[], invalid: readonly RejectedEntry[]): ResourceClusters {
  const clusters = new ResourceClusters();
  let v = 0;
  let r = 0;
  while (v < valid.length || r < invalid.length) {
    const nextValid = valid[v];
    const nextRejected = invalid[r];
    if (nextValid && (!nextRejected || nextValid.index < nextRejected.index)) {
      clusters.addValid(nextValid);
      v += 1;
    } else if (nextRejected) {
      clusters.addRejected(nextRejected);
      r += 1;
    }
  }
  return clusters;
}

/** Entries gathered by resource. Both lists fill in first-appearance order, so neither needs sorting later. */
class ResourceClusters {
  readonly groups: ValidGroup[] = [];
  /** Clusters, and rejected entries that name no usable resource, in first-appearance order. */
  readonly outcomes: (Cluster | RejectedEntry)[] = [];
  // Region, then resource id: nested Maps avoid building a composite key string per entry.
  readonly #byRegion = new Map<string, Map<string, Cluster>>();

  addValid(entry: ValidEntry): void {
    const cluster = this.#clusterOf(entry.regionId, entry.resourceId, entry.index);
    let group: ValidGroup | undefined;
    for (const g of cluster.groups) if (g.first.resourceType === entry.resourceType) group = g;
    if (!group) {
      group = { first: entry, cluster, entryIndexes: [entry.index] };
      cluster.groups.push(group);
      this.groups.push(group);
      return;
    }
    group.entryIndexes.push(entry.index);
    if (group.more) group.more.push(entry.tags);
    else group.more = [entry.tags];
  }

  addRejected(entry: RejectedEntry): void {
    // The id decides the identity; an entry without a usable id or region cannot poison anything else.
    if (entry.regionId !== undefined && isValidResourceId(entry.resourceId)) {
      const cluster = this.#clusterOf(entry.regionId, entry.resourceId, entry.index);
      if (cluster.rejected) cluster.rejected.push(entry);
      else cluster.rejected = [entry];
    } else {
      this.outcomes.push(entry);
    }
  }

  #clusterOf(regionId: string, resourceId: string, index: number): Cluster {
    let byId = this.#byRegion.get(regionId);
    if (!byId) {
      byId = new Map();
      this.#byRegion.set(regionId, byId);
    }
    let cluster = byId.get(resourceId);
    if (!cluster) {
      cluster = { firstIndex: index, groups: [] };
      byId.set(resourceId, cluster);
      this.outcomes.push(cluster);
    }
    return cluster;
  }
}

function toPlanned(group: ValidGroup): PlannedResource {
  const { regionId, resourceType, resourceId } = group.first;
  const merged = group.more ? [group.first.tags, ...group.more].flat() : group.first.tags;
  const tags = dedupeTags(merged);
  return {
    key: resourceKey(regionId, resourceType, resourceId),
    regionId,
    resourceType,
    resourceId,
    entryIndexes: group.entryIndexes,
    tags,
    calls: chunkTags(tags),
  };
}

function orphan(entry: RejectedEntry): RejectedResource {
  return {
    key: `entry#${entry.index}`,
    ...(entry.regionId === undefined ? {} : { regionId: entry.regionId }),
    ...(entry.resourceType === undefined ? {} : { resourceType: entry.resourceType }),
    ...(entry.resourceId === undefined ? {} : { resourceId: entry.resourceId }),
    entryIndexes: [entry.index],
    issues: entry.issues,
  };
}

function poisoned(cluster: Cluster, rejectedEntries: readonly RejectedEntry[]): RejectedResource {
  const firstRejected = rejectedEntries[0] as RejectedEntry;
  const firstGroup = cluster.groups[0];
  // Name the resource after its first entry, valid or not, so the outcome matches what the user wrote first.
  const first = firstGroup && firstGroup.first.index < firstRejected.index ? firstGroup.first : undefined;
  const regionId = first?.regionId ?? (firstRejected.regionId as string);
  const resourceId = first?.resourceId ?? (firstRejected.resourceId as string);
  const resourceType = first?.resourceType ?? firstRejected.resourceType;

  const validIndexes = cluster.groups.flatMap((g) => g.entryIndexes);
  const rejectedIndexes = rejectedEntries.map((e) => e.index);
  const issues: ValidationIssue[] = rejectedEntries.flatMap((e) => e.issues);
  if (firstGroup !== undefined) {
    const shown = rejectedIndexes.slice(0, 5).map((i) => `resources[${i}]`);
    if (rejectedIndexes.length > shown.length) shown.push(`${rejectedIndexes.length - shown.length} more`);
    issues.push({
      path: `resources[${firstGroup.first.index}]`,
      reason: `another entry for the same resource is invalid (${shown.join(', ')}), so none of its ${
        validIndexes.length
      } valid entries is applied and nothing is removed`,
    });
  }
  return {
    key: resourceKey(regionId, resourceType ?? '?', resourceId),
    regionId,
    ...(resourceType === undefined ? {} : { resourceType }),
    resourceId,
    entryIndexes: [...validIndexes, ...rejectedIndexes].sort((a, b) => a - b),
    issues,
  };
}
