/** The policy's verdict on one resource, from the tags observed on it. */
import type { ResourceType } from '../manifest/types.ts';
import type { Policy } from './policy.ts';
import { tagMatcher } from './tag-matcher.ts';

/** A tag as listed: removal carries the observed value, so a tag changed since listing is left alone. */
export interface ObservedTag {
  readonly key: string;
  readonly value: string;
}

/** A resource and the tags listed on it. Protection is judged from these tags, so the lister must include them. */
export interface ObservedResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: readonly ObservedTag[];
}

/** What the policy does to a resource; checked in this order, the first that applies wins. */
export type ResourceVerdict =
  /** The policy does not cover this region or resource type (an event may name any resource). */
  | { readonly kind: 'out-of-scope'; readonly reason: 'region' | 'resourceType' }
  /** Named in `exclude.resourceIds`. */
  | { readonly kind: 'excluded' }
  /** Carries a protect tag: never changed. `tag` is the first protecting tag found. */
  | { readonly kind: 'protected'; readonly tag: ObservedTag }
  | { readonly kind: 'nothing-to-remove' }
  /** The tags to remove, each once, in observed order, with the value as observed. */
  | { readonly kind: 'remove'; readonly tags: readonly ObservedTag[] };

/**
 * Decides what the policy does to one resource. Each tag is judged on its own, so the tags of a
 * resource gathered from several listings can be passed together; repeated rows count once.
 */
export function evaluateResource(policy: Policy, resource: ObservedResource): ResourceVerdict {
  if (!policy.regions.includes(resource.regionId)) return { kind: 'out-of-scope', reason: 'region' };
  if (!policy.resourceTypes.includes(resource.resourceType)) return { kind: 'out-of-scope', reason: 'resourceType' };
  const matcher = tagMatcher(policy);
  if (matcher.excludes(resource.resourceId)) return { kind: 'excluded' };
  const protecting = resource.tags.find((t) => matcher.protects(t.key, t.value));
  if (protecting !== undefined) return { kind: 'protected', tag: { key: protecting.key, value: protecting.value } };
  const seen = new Set<string>();
  const tags: ObservedTag[] = [];
  for (const { key, value } of resource.tags) {
    // A resource listed under two matching keys arrives with its rows twice.
    const id = `${key}\u0000${value}`;
    if (seen.has(id) || !matcher.removes(key, value)) continue;
    seen.add(id);
    tags.push({ key, value });
  }
  return tags.length === 0 ? { kind: 'nothing-to-remove' } : { kind: 'remove', tags };
}
