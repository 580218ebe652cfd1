import { DefaultRateLimiter } from '@smithy/util-retry';
import { ApiError, classifyError } from '../../../lib/core/errors.ts';
import type { CallOptions, RemoveTagsClient, RemoveTagsRequest, RemoveTagsResult } from '../../../lib/core/ports.ts';

/**
 * The AWS SDK's adaptive-retry limiter around the same signed client, used the way the SDK's
 * AdaptiveRetryStrategy uses it: a send token before every attempt, and every answer fed back
 * (`{}` for a success, the retry error info for a failure). Alibaba's `Throttling*` codes are mapped to
 * the SDK's `THROTTLING` error type, which its own isThrottlingError would not recognise by name.
 */
export class AwsSdkLimitedClient implements RemoveTagsClient {
  readonly #inner: RemoveTagsClient;
  readonly #limiter = new DefaultRateLimiter();

  constructor(inner: RemoveTagsClient) {
    this.#inner = inner;
  }

  async removeTags(request: RemoveTagsRequest, options?: CallOptions): Promise<RemoveTagsResult> {
    await this.#limiter.getSendToken();
    try {
      const result = await this.#inner.removeTags(request, options);
      this.#limiter.updateClientSendingRate({});
      return result;
    } catch (error) {
      const errorClass = classifyError(error);
      const httpStatusCode = error instanceof ApiError ? error.httpStatus : undefined;
      if (errorClass === 'throttle') {
        this.#limiter.updateClientSendingRate({
          errorType: 'THROTTLING',
          error: { name: 'Throttling', $metadata: { httpStatusCode } },
        });
      } else if (errorClass === 'transient') {
        this.#limiter.updateClientSendingRate({
          errorType: httpStatusCode === undefined ? 'TRANSIENT' : 'SERVER_ERROR',
          error: { name: 'ServiceUnavailable', $metadata: { httpStatusCode } },
        });
      }
      throw error;
    }
  }
}
