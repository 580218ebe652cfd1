/** The event adapter's pure step: resources with their current tags in, one manifest per region out. */
import { createHash } from 'node:crypto';
import type { ManifestOrigin } from '../manifest/types.ts';
import type { WireEntry, WireManifest } from '../manifest/wire.ts';
import { evaluateResource, type ObservedTag, type ResourceVerdict } from '../policy/evaluate-resource.ts';
import type { Policy } from '../policy/policy.ts';
import type { ResourceTarget } from './resolve-batch.ts';
import type { ResourceRef } from './types.ts';

/** The `origin` the adapter writes into each manifest: the CloudEvent ids that led to its resources. */
export type EventOrigin = Extract<ManifestOrigin, { kind: 'event' }>;

/** An event manifest on the wire. */
export type EventManifest = WireManifest & { readonly origin: EventOrigin };

/** A target of the batch and its tags as listed now; no tags means gone or untagged, which is done either way. */
export interface ListedTarget {
  readonly target: ResourceTarget;
  readonly tags: readonly ObservedTag[];
}

/** What became of a resource: the policy's verdict, or `no-tags` when the listing found no row for it. */
export type EventVerdict = ResourceVerdict['kind'] | 'no-tags';

/** One planned manifest and the targets it carries, so a failed send can be charged to their records. */
export interface PlannedEventManifest {
  readonly manifest: EventManifest;
  readonly targets: readonly ResourceTarget[];
}

export interface EventPlan {
  readonly manifests: readonly PlannedEventManifest[];
  /** Resources per verdict; every target counts once. */
  readonly verdicts: Readonly<Record<EventVerdict, number>>;
}

export interface EventPlanInput {
  readonly policy: Policy;
  readonly resources: readonly ListedTarget[];
  /** When the batch started, epoch ms: it names the manifests. */
  readonly startedAt: number;
  /** Resources per manifest at most (the parser's cap); more make several manifests. */
  readonly maxResourcesPerManifest: number;
}

// The manifest schema caps each origin event id at 256 characters; CloudEvents sets no limit.
const MAX_ORIGIN_EVENT_ID_LENGTH = 256;
// Hex digits of the event-id hash in a manifest id: enough to tell one batch's manifests from another's.
const ID_HASH_LENGTH = 12;

/**
 * Whether a resource's tags must be listed at all: a region or type the policy does not cover, or an
 * excluded id, is decided without them, so no ListTagResources call is spent on it.
 */
export function needsCurrentTags(policy: Policy, ref: ResourceRef): boolean {
  const verdict = evaluateResource(policy, { ...ref, tags: [] }).kind;
  return verdict !== 'out-of-scope' && verdict !== 'excluded';
}

/**
 * Evaluates the policy on each resource's current tags and groups the removals into one manifest per
 * region (several when a region has more resources than a manifest may hold). Each removal names the value
 * as listed, so a tag changed since is left alone; a resource with nothing to remove sends nothing.
 */
export function planEventManifests(input: EventPlanInput): EventPlan {
  const verdicts: Record<EventVerdict, number> = {
    'out-of-scope': 0,
    excluded: 0,
    protected: 0,
    'nothing-to-remove': 0,
    'no-tags': 0,
    remove: 0,
  };
  const byRegion = new Map<string, { entry: WireEntry; target: ResourceTarget }[]>();
  for (const { target, tags } of input.resources) {
    const verdict = evaluateResource(input.policy, { ...target.ref, tags });
    const kind: EventVerdict = verdict.kind === 'nothing-to-remove' && tags.length === 0 ? 'no-tags' : verdict.kind;
    verdicts[kind] += 1;
    if (verdict.kind !== 'remove') continue;
    const { regionId, resourceType, resourceId } = target.ref;
    const entries = byRegion.get(regionId) ?? [];
    entries.push({ entry: { resourceType, resourceId, tags: verdict.tags.map((t) => ({ ...t })) }, target });
    byRegion.set(regionId, entries);
  }
  const manifests = [...byRegion].flatMap(([regionId, entries]) => manifestsFor(input, regionId, entries));
  return { manifests, verdicts };
}

function manifestsFor(
  input: EventPlanInput,
  regionId: string,
  entries: { entry: WireEntry; target: ResourceTarget }[],
): PlannedEventManifest[] {
  // A stable order makes a redelivered batch produce the same manifests.
  entries.sort(
    (a, b) => compare(a.entry.resourceType, b.entry.resourceType) || compare(a.entry.resourceId, b.entry.resourceId),
  );
  const size = input.maxResourcesPerManifest;
  const parts = Math.ceil(entries.length / size);
  return Array.from({ length: parts }, (_, i) => {
    const run = entries.slice(i * size, (i + 1) * size);
    const eventIds = originEventIds(run.map((r) => r.target));
    return {
      manifest: {
        version: 1 as const,
        manifestId: eventManifestId(regionId, input.startedAt, eventIds, parts > 1 ? i + 1 : undefined),
        regionId,
        dryRun: false,
        origin: { kind: 'event' as const, eventIds },
        resources: run.map((r) => r.entry),
      },
      targets: run.map((r) => r.target),
    };
  });
}

/**
 * The distinct event ids of the targets, in the order their resources were first named in the batch; an id
 * too long for the manifest schema is written as its SHA-256, which still traces it.
 */
function originEventIds(targets: readonly ResourceTarget[]): string[] {
  const first = (t: ResourceTarget) => t.inputIndexes[0] ?? Number.POSITIVE_INFINITY;
  const ids = new Set<string>();
  for (const target of [...targets].sort((a, b) => first(a) - first(b))) {
    for (const id of target.eventIds) ids.add(id.length <= MAX_ORIGIN_EVENT_ID_LENGTH ? id : `sha256:${sha256Hex(id)}`);
  }
  return [...ids];
}

/** `event-<region>-<UTC yyyymmddThhmmssZ>-<hash of the event ids>[-<part>]`. */
export function eventManifestId(
  regionId: string,
  startedAt: number,
  eventIds: readonly string[],
  part?: number,
): string {
  const stamp = new Date(startedAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  // Sorted, so the same events name the same manifest whatever order they were delivered in.
  const hash = sha256Hex(JSON.stringify([...eventIds].sort())).slice(0, ID_HASH_LENGTH);
  return `event-${regionId}-${stamp}-${hash}${part === undefined ? '' : `-${part}`}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
