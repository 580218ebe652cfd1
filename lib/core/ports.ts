/**
 * The ports: what the engine and the Lambda logic need from the outside world. Adapters (lib/alibaba,
 * lib/aws) implement them; tests pass in-memory fakes with the same shapes.
 */
import type { ResourceType, TagSpec } from './manifest/types.ts';

/** Reads the current time in epoch milliseconds. Injected so tests run on one fake clock. */
export type Clock = () => number;

/** Sleeps `ms`; resolves early when `signal` aborts. Injected wherever time passes, so tests use fake time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The clock, sleep and randomness a unit of work may be given; each defaults to the real one. */
export interface TimeSource {
  readonly now?: Clock;
  readonly sleep?: Sleep;
  /** Uniform in [0, 1). */
  readonly random?: () => number;
}

/** One RemoveTags call: at most five tags (the planner guarantees it). */
export interface RemoveTagsRequest {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: readonly TagSpec[];
}

/** What an accepted RemoveTags call returns: its RequestId, for the audit trail. */
export interface RemoveTagsResult {
  readonly requestId: string;
}

/** Per-call options the executor hands to a client. */
export interface CallOptions {
  /** Aborts the request (deadline, fatal stop). */
  readonly signal?: AbortSignal;
  /** Overrides the client's per-request timeout, e.g. to end before a Lambda deadline. */
  readonly timeoutMs?: number;
}

/** What the executor and pipeline need from an ECS client. */
export interface RemoveTagsClient {
  removeTags(request: RemoveTagsRequest, options?: CallOptions): Promise<RemoveTagsResult>;
}

/** One message for a queue: a body and optional string attributes. */
export interface OutgoingMessage {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly delaySeconds?: number;
}

/** Per-message results, by index into the input array; per-entry failures never throw. */
export interface SendResult {
  readonly sent: { index: number; messageId: string }[];
  readonly failed: { index: number; code: string; message: string }[];
}

/** The narrow queue interface hand-off and enqueue need: send these messages to that queue. */
export interface QueueSender {
  send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendResult>;
}

/** One DescribeTags page request: the distinct tag pairs of a region. */
export interface DescribeTagsRequest {
  readonly regionId: string;
  /** From 1. */
  readonly pageNumber: number;
  /** 1 to 100. */
  readonly pageSize: number;
}

/** A distinct key/value pair and how many resources of each type carry it. */
export interface TagPairCount {
  readonly key: string;
  readonly value: string;
  /** Keyed by the lower-case resource type (the adapter maps `Securitygroup` to `securitygroup`). */
  readonly resourceTypeCounts: Readonly<Partial<Record<ResourceType, number>>>;
}

/** One DescribeTags page: tag pairs with how many resources of each type carry them. */
export interface DescribeTagsPage {
  readonly requestId: string;
  readonly totalCount: number;
  readonly pairs: readonly TagPairCount[];
}

/** One ListTagResources page request. It needs resource ids or tag filters: the API cannot list everything. */
export interface ListTagResourcesRequest {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  /** At most 50. */
  readonly resourceIds?: readonly string[];
  /** ANDed; a key alone means "has this key". At most 20. */
  readonly tags?: readonly { readonly key: string; readonly value?: string }[];
  readonly nextToken?: string;
}

/** One row per tag of a listed resource. */
export interface TagResourceRow {
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly key: string;
  readonly value: string;
}

/** One ListTagResources page; `nextToken` is set while more pages follow. */
export interface ListTagResourcesPage {
  readonly requestId: string;
  readonly rows: readonly TagResourceRow[];
  /** Absent or empty on the last page. */
  readonly nextToken?: string;
}

/** The two listing APIs a sweep and the event adapter read the inventory through. */
export interface InventoryClient {
  describeTags(request: DescribeTagsRequest, options?: CallOptions): Promise<DescribeTagsPage>;
  listTagResources(request: ListTagResourcesRequest, options?: CallOptions): Promise<ListTagResourcesPage>;
}
