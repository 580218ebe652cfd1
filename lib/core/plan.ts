import { MAX_TAGS_PER_CALL } from './ecs-api.ts';
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

// Below this many tags, linear scans beat building Maps and Sets (a typical resource lists a handful).
// The bench's plan scenario (100 000 resources x 12 tags, 7 alternating runs on 2 busy cores) says it pays:
// planManifest median 362 ms with the linear path, 438 ms with Maps only (314 vs 474 ms after parseManifest),
// the same peak memory (210 MiB), so both paths stay.
const SMALL = 24;

/** A packed array of n zeros (faster to index than a holey `new Array(n)`). */
function zeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push(0);
  return out;
}

/**
 * For each position, the first position holding the same key. Linear scans for short lists, a Map
 * for long ones, so the cost stays linear in the number of tags.
 */
function firstOfKey(tags: readonly TagSpec[]): number[] {
  const n = tags.length;
  const first: number[] = [];
  if (n <= SMALL) {
    for (let i = 0; i < n; i += 1) {
      const key = (tags[i] as TagSpec).key;
      let j = 0;
      while ((tags[j] as TagSpec).key !== key) j += 1;
      first.push(j);
    }
    return first;
  }
  // A Map, not an object: keys such as "__proto__" or "constructor" are ordinary tag keys here.
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const key = (tags[i] as TagSpec).key;
    const j = seen.get(key);
    if (j === undefined) seen.set(key, i);
    first.push(j ?? i);
  }
  return first;
}

/**
 * Drops tags another tag already removes: exact duplicates, and any `key=value` when the bare `key`
 * is also listed (a key-only removal takes every value). First-appearance order; a bare key takes the
 * place of the first tag with that key.
 */
export function dedupeTags(tags: readonly TagSpec[]): TagSpec[] {
  const n = tags.length;
  const first = firstOfKey(tags);
  let repeats = false;
  for (let i = 0; i < n && !repeats; i += 1) repeats = first[i] !== i;
  // Nothing to drop: the common case, so skip the per-tag work. Tags are immutable, so they are shared.
  if (!repeats) return tags.slice();

  // keyOnly[f] is 1 when the key first seen at position f also appears bare somewhere.
  const keyOnly = zeros(n);
  for (let i = 0; i < n; i += 1) if ((tags[i] as TagSpec).value === undefined) keyOnly[first[i] as number] = 1;

  const out: TagSpec[] = [];
  // Values already emitted per key (by first position), only built for keys that repeat with values.
  let emittedValues: Map<number, Set<string>> | undefined;
  for (let i = 0; i < n; i += 1) {
    const tag = tags[i] as TagSpec;
    const f = first[i] as number;
    if (keyOnly[f] === 1) {
      if (f === i) out.push(tag.value === undefined ? tag : { key: tag.key });
      continue;
    }
    const value = tag.value as string;
    if (f === i) {
      out.push(tag);
      continue;
    }
    if (n <= SMALL) {
      // Short list: look back for the same key and value instead of building a Set.
      let dup = false;
      for (let j = f; j < i && !dup; j += 1) dup = first[j] === f && (tags[j] as TagSpec).value === value;
      if (!dup) out.push(tag);
      continue;
    }
    emittedValues ??= new Map();
    let emitted = emittedValues.get(f);
    if (!emitted) {
      emitted = new Set([(tags[f] as TagSpec).value as string]);
      emittedValues.set(f, emitted);
    }
    if (!emitted.has(value)) {
      emitted.add(value);
      out.push(tag);
    }
  }
  return out;
}

/**
 * Splits tags into the fewest calls of at most `size` tags such that no call holds the same key twice
 * (how RemoveTags treats a repeated key with two values is undocumented, so never send one).
 * That minimum is `max(ceil(n / size), largest number of tags sharing a key)`. Pass deduplicated tags.
 * Order: calls fill front to back and each call keeps input order.
 * @param size maximum tags per call. @default MAX_TAGS_PER_CALL
 */
export function chunkTags(tags: readonly TagSpec[], size: number = MAX_TAGS_PER_CALL): TagSpec[][] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer; got ${size}`);
  const n = tags.length;
  if (n === 0) return [];

  const first = firstOfKey(tags);
  let repeats = false;
  for (let i = 0; i < n && !repeats; i += 1) repeats = first[i] !== i;
  // Every key once (the common case): plain consecutive slices are already minimal.
  if (!repeats) {
    const calls: TagSpec[][] = [];
    for (let start = 0; start < n; start += size) calls.push(tags.slice(start, start + size));
    return calls;
  }

  const multiplicity = zeros(n);
  let maxMultiplicity = 0;
  for (let i = 0; i < n; i += 1) {
    const f = first[i] as number;
    const m = (multiplicity[f] as number) + 1;
    multiplicity[f] = m;
    if (m > maxMultiplicity) maxMultiplicity = m;
  }
  const callCount = Math.max(Math.ceil(n / size), maxMultiplicity);
  const binOf = zeros(n);
  const fill = zeros(callCount);
  // Repeated keys first, dealt round-robin with one running cursor, key by key: each key's run of at
  // most callCount tags lands in distinct calls, and call sizes never differ by more than one, so
  // none exceeds `size`. A "next position with this key" chain lists each key's positions in order.
  const next = zeros(n);
  const last = zeros(n);
  for (let i = 0; i < n; i += 1) {
    const f = first[i] as number;
    next[i] = -1;
    if (f !== i) next[last[f] as number] = i;
    last[f] = i;
  }
  let cursor = 0;
  for (let f = 0; f < n; f += 1) {
    if (first[f] !== f || (multiplicity[f] as number) < 2) continue;
    for (let i = f; i !== -1; i = next[i] as number) {
      const bin = cursor % callCount;
      binOf[i] = bin;
      fill[bin] = (fill[bin] as number) + 1;
      cursor += 1;
    }
  }
  // Single-key tags cannot clash, so each goes to the first call with room; total room callCount*size >= n.
  let bin = 0;
  for (let i = 0; i < n; i += 1) {
    if (multiplicity[first[i] as number] !== 1) continue;
    while ((fill[bin] as number) >= size) bin += 1;
    binOf[i] = bin;
    fill[bin] = (fill[bin] as number) + 1;
  }
  // Walking positions in order keeps input order inside every call.
  const calls: TagSpec[][] = Array.from({ length: callCount }, () => []);
  for (let i = 0; i < n; i += 1) (calls[binOf[i] as number] as TagSpec[]).push(tags[i] as TagSpec);
  return calls;
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
  const valid = byIndex(manifest.resources);
  const invalid = byIndex(manifest.rejected);

  // Region, then resource id: nested Maps avoid building a composite key string per entry.
  const clusters = new Map<string, Map<string, Cluster>>();
  // Both lists are filled in first-appearance order, so neither needs sorting later.
  const groups: ValidGroup[] = [];
  const outcomes: (Cluster | RejectedEntry)[] = [];
  const clusterOf = (regionId: string, resourceId: string, index: number): Cluster => {
    let byId = clusters.get(regionId);
    if (!byId) {
      byId = new Map();
      clusters.set(regionId, byId);
    }
    let cluster = byId.get(resourceId);
    if (!cluster) {
      cluster = { firstIndex: index, groups: [] };
      byId.set(resourceId, cluster);
      outcomes.push(cluster);
    }
    return cluster;
  };
  const addValid = (entry: ValidEntry): void => {
    const cluster = clusterOf(entry.regionId, entry.resourceId, entry.index);
    let group: ValidGroup | undefined;
    for (const g of cluster.groups) if (g.first.resourceType === entry.resourceType) group = g;
    if (!group) {
      group = { first: entry, cluster, entryIndexes: [entry.index] };
      cluster.groups.push(group);
      groups.push(group);
      return;
    }
    group.entryIndexes.push(entry.index);
    if (group.more) group.more.push(entry.tags);
    else group.more = [entry.tags];
  };
  const addRejected = (entry: RejectedEntry): void => {
    // The id decides the identity; an entry without a usable id or region cannot poison anything else.
    if (entry.regionId !== undefined && isValidResourceId(entry.resourceId)) {
      const cluster = clusterOf(entry.regionId, entry.resourceId, entry.index);
      if (cluster.rejected) cluster.rejected.push(entry);
      else cluster.rejected = [entry];
    } else {
      outcomes.push(entry);
    }
  };

  // Merge the two index-ordered lists so clusters are created in first-appearance order.
  let v = 0;
  let r = 0;
  while (v < valid.length || r < invalid.length) {
    const nextValid = valid[v];
    const nextRejected = invalid[r];
    if (nextValid && (!nextRejected || nextValid.index < nextRejected.index)) {
      addValid(nextValid);
      v += 1;
    } else if (nextRejected) {
      addRejected(nextRejected);
      r += 1;
    }
  }

  const resources: PlannedResource[] = [];
  for (const group of groups) if (group.cluster.rejected === undefined) resources.push(toPlanned(group));
  const rejected: RejectedResource[] = [];
  for (const outcome of outcomes) {
    if (!('groups' in outcome)) rejected.push(orphan(outcome));
    else if (outcome.rejected !== undefined) rejected.push(poisoned(outcome, outcome.rejected));
  }
  return { manifestId: manifest.manifestId, resources, rejected };
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
