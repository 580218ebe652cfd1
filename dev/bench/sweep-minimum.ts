/**
 * The fewest list calls any sweep of a policy over an account can make, computed from the account itself
 * (the bench knows every row; the sweep only knows DescribeTags' counts).
 */
import { MAX_RESOURCE_IDS_PER_LIST } from '../../lib/core/ecs-api.ts';
import type { Policy } from '../../lib/core/policy/policy.ts';
import { tagMatcher } from '../../lib/core/policy/tag-matcher.ts';
import { DESCRIBE_TAGS_PAGE_SIZE } from '../../lib/engine/inventory/describe-tag-pairs.ts';
import type { InventoryResource } from '../emulator/server.ts';

/** What the minimum is made of. */
export interface MinimumListCalls {
  /** Distinct key/value pairs of the region, system tags included. */
  readonly tagPairs: number;
  /** ceil(pairs ÷ the largest DescribeTags page). */
  readonly describeTags: number;
  /** Σ over the chains a sweep must walk of ceil(rows ÷ rows per page). */
  readonly listTagResources: number;
  /** Those chains: matching keys (or values) per resource type, and protection per type. */
  readonly chains: number;
  /** Rows the chains return altogether. */
  readonly rows: number;
}

const pages = (rows: number, pageRows: number) => Math.max(1, Math.ceil(rows / pageRows));

/**
 * The minimum, per API:
 * - DescribeTags: every pair must be read, at most {@link DESCRIBE_TAGS_PAGE_SIZE} a page.
 * - ListTagResources: a call filters by one key (Tag.N filters are ANDed, so two keys cannot share a
 *   chain), and returns every tag of each resource it matches, `pageRows` a page. Per resource type, each
 *   key carrying a tag the policy removes is one chain of ceil(rows ÷ pageRows) pages, or one chain per
 *   matching value when only some values match and that takes fewer pages. Where candidates exist and the
 *   policy protects, protection must be asked for: the cheaper of one chain per protect rule, or the
 *   candidates by id (at least ceil(candidates ÷ 50) calls and ceil(their rows ÷ pageRows) pages).
 */
export function minimumListCalls(
  inventory: readonly InventoryResource[],
  policy: Policy,
  pageRows: number,
): MinimumListCalls {
  const matcher = tagMatcher(policy);
  const pairs = new Set<string>();
  let listTagResources = 0;
  let chains = 0;
  let rows = 0;
  for (const type of policy.resourceTypes) {
    const ofType = inventory.filter((r) => r.resourceType === type && policy.regions.includes(r.regionId));
    for (const r of ofType) for (const [k, v] of Object.entries(r.tags)) pairs.add(`${k}\u0000${v}`);
    const keys = keyChains(ofType, (k, v) => matcher.removes(k, v), pageRows);
    listTagResources += keys.pages;
    chains += keys.chains;
    rows += keys.rows;
    const candidates = ofType.filter((r) => Object.entries(r.tags).some(([k, v]) => matcher.removes(k, v)));
    if (candidates.length === 0 || policy.protect.length === 0) continue;
    const byTag = policy.protect.map((rule) => {
      const carriers = ofType.filter(
        (r) => rule.key in r.tags && (rule.value === undefined || r.tags[rule.key] === rule.value),
      );
      return tagRows(carriers);
    });
    const byTagPages = byTag.reduce((n, rowsOfRule) => n + pages(rowsOfRule, pageRows), 0);
    const candidateRows = tagRows(candidates);
    const byIdPages = Math.max(
      Math.ceil(candidates.length / MAX_RESOURCE_IDS_PER_LIST),
      Math.ceil(candidateRows / pageRows),
    );
    listTagResources += Math.min(byTagPages, byIdPages);
    chains += byTagPages <= byIdPages ? byTag.length : Math.ceil(candidates.length / MAX_RESOURCE_IDS_PER_LIST);
    rows += byTagPages <= byIdPages ? byTag.reduce((a, b) => a + b, 0) : candidateRows;
  }
  return {
    tagPairs: pairs.size,
    describeTags: pages(pairs.size, DESCRIBE_TAGS_PAGE_SIZE),
    listTagResources,
    chains,
    rows,
  };
}

function tagRows(resources: readonly InventoryResource[]): number {
  return resources.reduce((n, r) => n + Object.keys(r.tags).length, 0);
}

/** The cheapest chains over one type's keys that carry a matching tag. */
function keyChains(
  resources: readonly InventoryResource[],
  removes: (key: string, value: string) => boolean,
  pageRows: number,
): { pages: number; chains: number; rows: number } {
  // Per key: rows of all its carriers, and rows of its carriers per matching value.
  const byKey = new Map<string, { whole: number; matching: Map<string, number>; values: Set<string> }>();
  for (const r of resources) {
    const count = Object.keys(r.tags).length;
    for (const [key, value] of Object.entries(r.tags)) {
      let entry = byKey.get(key);
      if (!entry) {
        entry = { whole: 0, matching: new Map(), values: new Set() };
        byKey.set(key, entry);
      }
      entry.whole += count;
      entry.values.add(value);
      if (removes(key, value)) entry.matching.set(value, (entry.matching.get(value) ?? 0) + count);
    }
  }
  let total = { pages: 0, chains: 0, rows: 0 };
  for (const { whole, matching, values } of byKey.values()) {
    if (matching.size === 0) continue;
    const wholePages = pages(whole, pageRows);
    const byValue = [...matching.values()];
    const byValuePages = byValue.reduce((n, rows) => n + pages(rows, pageRows), 0);
    total =
      matching.size < values.size && byValuePages < wholePages
        ? {
            pages: total.pages + byValuePages,
            chains: total.chains + byValue.length,
            rows: total.rows + byValue.reduce((a, b) => a + b, 0),
          }
        : { pages: total.pages + wholePages, chains: total.chains + 1, rows: total.rows + whole };
  }
  return total;
}
