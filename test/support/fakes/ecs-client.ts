import { Inventory, type InventoryFile } from '../../../dev/emulator/inventory.ts';
import { MAX_TAGS_PER_CALL } from '../../../lib/core/ecs-api.ts';
import { ApiError } from '../../../lib/core/errors.ts';
import type {
  CallOptions,
  RemoveTagsClient,
  RemoveTagsRequest,
  RemoveTagsResult,
  Sleep,
} from '../../../lib/core/ports.ts';
import { type FakeLatency, waitLatency } from './latency.ts';

/** Which calls a scripted failure hits, what they throw, and how often. */
export interface FailureRule {
  /** Only calls on this resource. @default every resource */
  readonly resourceId?: string;
  /** Only the n-th call overall (1-based). @default every call */
  readonly call?: number;
  /** Matching calls let through before the rule starts failing, e.g. 1 to fail a resource's second call. @default 0 */
  readonly skip?: number;
  /** Matching calls that fail before the rule is used up. @default unlimited */
  readonly times?: number;
  /**
   * What to throw: an ECS error code (thrown as the real client would, an ApiError with the usual HTTP
   * status, so the executor classifies it the same way), or any error, e.g. a NetworkError.
   */
  readonly error: string | Error;
  /** `x-acs-retry-after` for a code, in ms. */
  readonly retryAfterMs?: number;
  /** Apply the removal before failing: ECS did the work, but the answer was lost. @default false */
  readonly applied?: boolean;
}

/** One call the fake received, with what became of it. */
export interface FakeEcsCall {
  readonly request: RemoveTagsRequest;
  readonly options: CallOptions;
  /** The RequestId the fake gave the call (also on failures, as ECS does). */
  readonly requestId: string;
  /** `ok`, or the code (or error name) it failed with. */
  readonly result: string;
}

/** A throttle code, a transient code, a permanent code and a fatal code, as ECS spells them. */
export const ECS_CODES = {
  throttle: 'Throttling.User',
  transient: 'ServiceUnavailable',
  permanent: 'InvalidResourceId.NotFound',
  fatal: 'SignatureDoesNotMatch',
} as const;

/**
 * An in-memory ECS behind the RemoveTagsClient port: an inventory of resources and their tags (the same
 * class the emulator uses, so RemoveTags semantics are the emulator's), every call recorded, and failures
 * scripted per resource or per call.
 */
export class FakeEcsClient implements RemoveTagsClient {
  readonly calls: FakeEcsCall[] = [];
  readonly #inventory: Inventory;
  readonly #rules: { rule: FailureRule; skip: number; left: number }[] = [];
  #latency: FakeLatency | undefined;

  constructor(inventory: InventoryFile = { resources: [] }) {
    this.#inventory = new Inventory(inventory);
  }

  /** Scripts failures; the first matching rule that is not used up decides. */
  fail(...rules: FailureRule[]): this {
    for (const rule of rules) {
      this.#rules.push({ rule, skip: rule.skip ?? 0, left: rule.times ?? Number.POSITIVE_INFINITY });
    }
    return this;
  }

  /**
   * Makes every call take `ms` of the given (fake) clock's time before it is answered. A call whose
   * `timeoutMs` is shorter times out instead, as the real client does, without the removal applied.
   */
  latency(ms: number, sleep: Sleep): this {
    this.#latency = { ms, sleep };
    return this;
  }

  /** A copy of the resource's tags, or undefined when it does not exist. */
  tagsOf(resourceId: string, regionId = 'cn-hangzhou', resourceType = 'disk'): Record<string, string> | undefined {
    return this.#inventory.getTags(regionId, resourceType, resourceId);
  }

  /** Calls made on one resource, in order. */
  callsOn(resourceId: string): FakeEcsCall[] {
    return this.calls.filter((c) => c.request.resourceId === resourceId);
  }

  async removeTags(request: RemoveTagsRequest, options: CallOptions = {}): Promise<RemoveTagsResult> {
    const number = this.calls.length + 1;
    const scripted = this.#take(request, number);
    try {
      await waitLatency(this.#latency, options);
      if (scripted) {
        if (scripted.applied === true) this.#apply(request, number);
        throw toError(scripted, number);
      }
      this.#apply(request, number);
      this.calls.push({ request, options, requestId: requestId(number), result: 'ok' });
      return { requestId: requestId(number) };
    } catch (error) {
      const result = error instanceof ApiError ? error.code : nameOf(error);
      this.calls.push({ request, options, requestId: requestId(number), result });
      throw error;
    }
  }

  #take(request: RemoveTagsRequest, number: number): FailureRule | undefined {
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.resourceId !== undefined && rule.resourceId !== request.resourceId) continue;
      if (rule.call !== undefined && rule.call !== number) continue;
      if (entry.skip > 0) {
        entry.skip -= 1;
        continue;
      }
      entry.left -= 1;
      return rule;
    }
    return undefined;
  }

  /** RemoveTags as ECS answers it: the resource must exist and take tags, and at most five tags a call. */
  #apply(request: RemoveTagsRequest, number: number): void {
    const { regionId, resourceType, resourceId, tags } = request;
    if (tags.length === 0 || tags.length > MAX_TAGS_PER_CALL) {
      throw new ApiError('InvalidTagCount', 400, requestId(number), `a call carries 1 to ${MAX_TAGS_PER_CALL} tags`);
    }
    const found = this.#inventory.lookup(regionId, resourceType, resourceId);
    if (found === 'absent') throw apiError(ECS_CODES.permanent, undefined, requestId(number));
    if (found === 'unsupported') throw apiError('InvalidResourceId.NotSupported', undefined, requestId(number));
    this.#inventory.removeTags(regionId, resourceType, resourceId, tags);
  }
}

function toError(rule: FailureRule, number: number): Error {
  return typeof rule.error === 'string' ? apiError(rule.error, rule.retryAfterMs, requestId(number)) : rule.error;
}

/** An ApiError with the HTTP status ECS gives that code. */
export function apiError(code: string, retryAfterMs?: number, id = 'fake-request'): ApiError {
  return new ApiError(code, statusOf(code), id, `fake ${code}`, retryAfterMs);
}

function statusOf(code: string): number {
  if (code === 'InternalError' || code === 'UnknownError') return 500;
  if (code === 'ServiceUnavailable') return 503;
  if (code.endsWith('.NotFound') && !code.startsWith('InvalidAccessKeyId')) return 404;
  if (code.startsWith('Forbidden')) return 403;
  return 400;
}

function requestId(number: number): string {
  return `fake-${number}`;
}

function nameOf(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.name;
  return 'UnknownError';
}
