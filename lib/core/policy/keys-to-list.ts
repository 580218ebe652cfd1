/** The sweep's discovery step: from a region's DescribeTags rows, the ListTagResources listings worth running. */
import type { ResourceType } from '../manifest/types.ts';
import type { TagPairCount } from '../ports.ts';
import type { Policy } from './policy.ts';
import { tagMatcher } from './tag-matcher.ts';

/** One listing: all pages of ListTagResources for a type, filtered by `Tag.1.Key` (and `Tag.1.Value` when set). */
export interface ListQuery {
  readonly resourceType: ResourceType;
  readonly key: string;
  readonly value?: string;
  /** Resources DescribeTags counted with a matching pair under this query: a guide, not a promise. */
  readonly matchingResources: number;
}

// ListTagResources has no page-size parameter; about 50 rows a page (inventory notes).
const ESTIMATED_ROWS_PER_PAGE = 50;
const pages = (rows: number): number => Math.max(1, Math.ceil(rows / ESTIMATED_ROWS_PER_PAGE));
// Code-unit order, so the same input gives the same queries on every machine and locale.
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface KeyTally {
  total: number;
  values: number;
  readonly matching: { readonly value: string; readonly count: number }[];
}

function tally(policy: Policy, pairs: readonly TagPairCount[]): Map<ResourceType, Map<string, KeyTally>> {
  const matcher = tagMatcher(policy);
  const byType = new Map<ResourceType, Map<string, KeyTally>>(policy.resourceTypes.map((t) => [t, new Map()]));
  const seen = new Set<string>();
  for (const pair of pairs) {
    // A pair repeated across DescribeTags pages must not count twice.
    const id = `${pair.key}\u0000${pair.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const [type, keys] of byType) {
      const count = pair.resourceTypeCounts[type] ?? 0;
      if (count <= 0) continue;
      let key = keys.get(pair.key);
      if (key === undefined) {
        key = { total: 0, values: 0, matching: [] };
        keys.set(pair.key, key);
      }
      key.total += count;
      key.values += 1;
      if (matcher.removes(pair.key, pair.value)) key.matching.push({ value: pair.value, count });
    }
  }
  return byType;
}

/**
 * The listings that find every resource carrying a tag the policy removes, so listing cost grows with
 * matching tags, not with the account. A key is listed whole unless only some of its values match and
 * listing those values one by one takes fewer pages. With `keepOnly`, every key outside it (and not a
 * system or protect key) is a candidate. Protect tags are not listed here: the sweep asks for them.
 */
export function keysToList(policy: Policy, pairs: readonly TagPairCount[]): ListQuery[] {
  const queries: ListQuery[] = [];
  for (const [resourceType, keys] of tally(policy, pairs)) {
    for (const [key, { total, values, matching }] of [...keys].sort(([a], [b]) => compareText(a, b))) {
      if (matching.length === 0) continue;
      const byValuePages = matching.reduce((sum, m) => sum + pages(m.count), 0);
      if (matching.length < values && byValuePages < pages(total)) {
        for (const m of [...matching].sort((a, b) => compareText(a.value, b.value))) {
          queries.push({ resourceType, key, value: m.value, matchingResources: m.count });
        }
      } else {
        queries.push({ resourceType, key, matchingResources: matching.reduce((sum, m) => sum + m.count, 0) });
      }
    }
  }
  return queries;
}
