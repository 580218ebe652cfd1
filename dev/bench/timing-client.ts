import { classifyError } from '../../lib/core/errors.ts';
import type { CallOptions, RemoveTagsClient, RemoveTagsRequest, RemoveTagsResult } from '../../lib/core/ports.ts';

/** Epoch ms with sub-ms precision; comparable across the bench's processes (same machine clock). */
export const benchClock = (): number => performance.timeOrigin + performance.now();

/** One HTTP attempt as the client saw it. */
export interface AttemptRecord {
  /** When the request was handed to the HTTP client (after any limiter wait), epoch ms. */
  readonly sentAt: number;
  /** When the answer (or the network error) arrived, epoch ms. */
  readonly doneAt: number;
  readonly outcome: 'ok' | 'throttle' | 'error';
}

/** The identity of one planned call: its resource and its first tag (unique within a resource). */
export function callKey(resourceId: string, firstTagKey: string): string {
  return `${resourceId}#${firstTagKey}`;
}

/**
 * Wraps the signed client closest to the wire and records every attempt, so each strategy is
 * measured the same way: its limiter waits happen before `sentAt`.
 */
export class TimingClient implements RemoveTagsClient {
  readonly attempts = new Map<string, AttemptRecord[]>();
  readonly #inner: RemoveTagsClient;

  constructor(inner: RemoveTagsClient) {
    this.#inner = inner;
  }

  async removeTags(request: RemoveTagsRequest, options?: CallOptions): Promise<RemoveTagsResult> {
    const key = callKey(request.resourceId, request.tags[0]?.key ?? '');
    const sentAt = benchClock();
    const record = (outcome: AttemptRecord['outcome']): void => {
      const list = this.attempts.get(key) ?? [];
      list.push({ sentAt, doneAt: benchClock(), outcome });
      this.attempts.set(key, list);
    };
    try {
      const result = await this.#inner.removeTags(request, options);
      record('ok');
      return result;
    } catch (error) {
      record(classifyError(error) === 'throttle' ? 'throttle' : 'error');
      throw error;
    }
  }
}
