import { classifyError } from '../../lib/core/errors.ts';
import type {
  CallOptions,
  DescribeTagsPage,
  DescribeTagsRequest,
  InventoryClient,
  ListTagResourcesPage,
  ListTagResourcesRequest,
} from '../../lib/core/ports.ts';
import { benchClock } from './timing-client.ts';

/** The two listing APIs, as the emulator names them. */
export const LIST_APIS = ['DescribeTags', 'ListTagResources'] as const;
export type ListApi = (typeof LIST_APIS)[number];

/** Every attempt of one API as the client saw it; plain data, so it crosses process boundaries. */
export interface ApiTimeline {
  /** First request handed to the HTTP client, epoch ms (NaN when none was sent). */
  firstSentAt: number;
  /** Last answer received, epoch ms. */
  lastDoneAt: number;
  /** When each accepted call was sent, epoch ms (flow control judges a call when it arrives). */
  readonly okAt: number[];
  /** When each throttled call was sent, epoch ms. */
  readonly throttledAt: number[];
  /** Other failed attempts (network errors, 5xx). */
  errors: number;
}

function emptyTimeline(): ApiTimeline {
  return { firstSentAt: Number.NaN, lastDoneAt: Number.NaN, okAt: [], throttledAt: [], errors: 0 };
}

/** Wraps the signed client closest to the wire and records each attempt per API, after any limiter wait. */
export class TimedInventoryClient implements InventoryClient {
  readonly timelines: Record<ListApi, ApiTimeline> = {
    DescribeTags: emptyTimeline(),
    ListTagResources: emptyTimeline(),
  };
  readonly #inner: InventoryClient;

  constructor(inner: InventoryClient) {
    this.#inner = inner;
  }

  describeTags(request: DescribeTagsRequest, options?: CallOptions): Promise<DescribeTagsPage> {
    return this.#timed('DescribeTags', () => this.#inner.describeTags(request, options));
  }

  listTagResources(request: ListTagResourcesRequest, options?: CallOptions): Promise<ListTagResourcesPage> {
    return this.#timed('ListTagResources', () => this.#inner.listTagResources(request, options));
  }

  async #timed<T>(api: ListApi, call: () => Promise<T>): Promise<T> {
    const timeline = this.timelines[api];
    const sentAt = benchClock();
    if (!(timeline.firstSentAt <= sentAt)) timeline.firstSentAt = sentAt;
    try {
      const result = await call();
      timeline.okAt.push(sentAt);
      return result;
    } catch (error) {
      if (classifyError(error) === 'throttle') timeline.throttledAt.push(sentAt);
      else timeline.errors += 1;
      throw error;
    } finally {
      const doneAt = benchClock();
      if (!(timeline.lastDoneAt >= doneAt)) timeline.lastDoneAt = doneAt;
    }
  }
}
