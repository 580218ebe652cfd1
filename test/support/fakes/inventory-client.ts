/**
 * An in-memory ECS behind the InventoryClient port. The emulator's DescribeTags and ListTagResources are
 * action handlers over wire parameters and wire bodies, not functions over the port's types, so building on
 * them would test the wire mapping (the EcsClient's job, covered over 127.0.0.1) a second time; this fake
 * answers in the port's shapes directly, with the same ordering and paging rules.
 */
import { MAX_RESOURCE_IDS_PER_LIST } from '../../../lib/core/ecs-api.ts';
import type { ResourceType } from '../../../lib/core/manifest/types.ts';
import type {
  CallOptions,
  DescribeTagsPage,
  DescribeTagsRequest,
  InventoryClient,
  ListTagResourcesPage,
  ListTagResourcesRequest,
  TagPairCount,
  TagResourceRow,
} from '../../../lib/core/ports.ts';
import { apiError } from './ecs-client.ts';
import { type FakeLatency, waitLatency } from './latency.ts';

/** One resource of the fake inventory: where it lives and its tags. */
export interface FakeInventoryResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type InventoryApi = 'DescribeTags' | 'ListTagResources';

/** Which listing calls a scripted failure hits, what they throw, and how often. */
export interface InventoryFailureRule {
  readonly api: InventoryApi;
  /** Only calls in this region. @default every region */
  readonly regionId?: string;
  /** Only ListTagResources calls for this resource type. @default every type */
  readonly resourceType?: ResourceType;
  /** Matching calls let through before the rule starts failing. @default 0 */
  readonly skip?: number;
  /** Matching calls that fail before the rule is used up. @default unlimited */
  readonly times?: number;
  /** An ECS error code (thrown as an ApiError with ECS's status), or any error. */
  readonly error: string | Error;
}

/** One listing call the fake received, with what became of it. */
export interface FakeInventoryCall {
  readonly api: InventoryApi;
  readonly request: DescribeTagsRequest | ListTagResourcesRequest;
  /** `ok`, or the code it failed with. */
  readonly result: string;
}

/** Options of {@link FakeInventoryClient}. */
export interface FakeInventoryOptions {
  /** Rows per ListTagResources page, so a test can spread one resource's rows over pages. @default 50 */
  readonly rowsPerPage?: number;
  /** Time each call takes on the given (fake) clock; past its `timeoutMs` it times out. @default no time */
  readonly latency?: FakeLatency;
}

/**
 * DescribeTags: distinct pairs sorted by key then value, `totalCount`, counts per resource type, pages up to
 * `pageSize`. ListTagResources: one row per tag of each resource carrying every `tags` filter (and one of
 * `resourceIds` when given), sorted by id then key, `rowsPerPage` rows a page, an opaque NextToken bound to
 * its query. Every call is recorded; failures are scripted per API, region and type.
 */
export class FakeInventoryClient implements InventoryClient {
  readonly calls: FakeInventoryCall[] = [];
  readonly #resources: readonly FakeInventoryResource[];
  readonly #rowsPerPage: number;
  readonly #latency: FakeInventoryOptions['latency'];
  readonly #rules: { rule: InventoryFailureRule; skip: number; left: number }[] = [];
  readonly #tokens = new Map<string, { query: string; offset: number }>();

  constructor(resources: readonly FakeInventoryResource[], options: FakeInventoryOptions = {}) {
    this.#resources = resources;
    this.#rowsPerPage = options.rowsPerPage ?? 50;
    this.#latency = options.latency;
  }

  /** Scripts failures; the first matching rule that is not used up decides. */
  fail(...rules: InventoryFailureRule[]): this {
    for (const rule of rules) {
      this.#rules.push({ rule, skip: rule.skip ?? 0, left: rule.times ?? Number.POSITIVE_INFINITY });
    }
    return this;
  }

  /** Calls made to one API. */
  callsTo(api: InventoryApi): FakeInventoryCall[] {
    return this.calls.filter((c) => c.api === api);
  }

  describeTags(request: DescribeTagsRequest, options: CallOptions = {}): Promise<DescribeTagsPage> {
    return this.#answer('DescribeTags', request, undefined, options, () => {
      const pairs = this.#pairs(request.regionId);
      const start = (request.pageNumber - 1) * request.pageSize;
      return {
        requestId: this.#requestId(),
        totalCount: pairs.length,
        pairs: pairs.slice(start, start + request.pageSize),
      };
    });
  }

  listTagResources(request: ListTagResourcesRequest, options: CallOptions = {}): Promise<ListTagResourcesPage> {
    return this.#answer('ListTagResources', request, request.resourceType, options, () => this.#listPage(request));
  }

  async #answer<T>(
    api: InventoryApi,
    request: DescribeTagsRequest | ListTagResourcesRequest,
    resourceType: ResourceType | undefined,
    options: CallOptions,
    answer: () => T,
  ): Promise<T> {
    const scripted = this.#take(api, request.regionId, resourceType);
    try {
      await waitLatency(this.#latency, options);
      if (scripted) throw typeof scripted.error === 'string' ? apiError(scripted.error) : scripted.error;
      const value = answer();
      this.calls.push({ api, request, result: 'ok' });
      return value;
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'UnknownError';
      this.calls.push({ api, request, result: code });
      throw error;
    }
  }

  #pairs(regionId: string): TagPairCount[] {
    const pairs = new Map<string, { key: string; value: string; counts: Partial<Record<ResourceType, number>> }>();
    for (const resource of this.#resources) {
      if (resource.regionId !== regionId) continue;
      for (const [key, value] of Object.entries(resource.tags)) {
        const id = JSON.stringify([key, value]);
        const pair = pairs.get(id) ?? { key, value, counts: {} };
        pair.counts[resource.resourceType] = (pair.counts[resource.resourceType] ?? 0) + 1;
        pairs.set(id, pair);
      }
    }
    return [...pairs.values()]
      .sort((a, b) => compare(a.key, b.key) || compare(a.value, b.value))
      .map((p) => ({ key: p.key, value: p.value, resourceTypeCounts: p.counts }));
  }

  #listPage(request: ListTagResourcesRequest): ListTagResourcesPage {
    const ids = request.resourceIds ?? [];
    const filters = request.tags ?? [];
    // ECS refuses a listing that names neither resources nor tags; so does the fake.
    if (ids.length === 0 && filters.length === 0) throw apiError('MissingParameter');
    if (ids.length > MAX_RESOURCE_IDS_PER_LIST) throw apiError('InvalidParameter');
    const query = JSON.stringify([request.regionId, request.resourceType, ids, filters]);
    let offset = 0;
    if (request.nextToken !== undefined) {
      const token = this.#tokens.get(request.nextToken);
      if (token?.query !== query) throw apiError('InvalidParameter.NextToken');
      offset = token.offset;
    }
    const rows = this.#rows(request, ids, filters);
    const page = rows.slice(offset, offset + this.#rowsPerPage);
    const next = offset + page.length;
    if (next >= rows.length) return { requestId: this.#requestId(), rows: page };
    const nextToken = `token-${this.#tokens.size + 1}`;
    this.#tokens.set(nextToken, { query, offset: next });
    return { requestId: this.#requestId(), rows: page, nextToken };
  }

  #rows(
    request: ListTagResourcesRequest,
    ids: readonly string[],
    filters: readonly { readonly key: string; readonly value?: string }[],
  ): TagResourceRow[] {
    return this.#resources
      .filter((r) => r.regionId === request.regionId && r.resourceType === request.resourceType)
      .filter((r) => ids.length === 0 || ids.includes(r.resourceId))
      .filter((r) =>
        filters.every((f) => Object.hasOwn(r.tags, f.key) && (f.value === undefined || r.tags[f.key] === f.value)),
      )
      .sort((a, b) => compare(a.resourceId, b.resourceId))
      .flatMap((r) =>
        Object.keys(r.tags)
          .sort(compare)
          .map((key) => ({ resourceType: r.resourceType, resourceId: r.resourceId, key, value: r.tags[key] ?? '' })),
      );
  }

  #take(api: InventoryApi, regionId: string, resourceType: ResourceType | undefined): InventoryFailureRule | undefined {
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (entry.left <= 0 || rule.api !== api) continue;
      if (rule.regionId !== undefined && rule.regionId !== regionId) continue;
      if (rule.resourceType !== undefined && rule.resourceType !== resourceType) continue;
      if (entry.skip > 0) {
        entry.skip -= 1;
        continue;
      }
      entry.left -= 1;
      return rule;
    }
    return undefined;
  }

  #requestId(): string {
    return `fake-list-${this.calls.length + 1}`;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
