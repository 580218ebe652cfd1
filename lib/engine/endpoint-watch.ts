import { EndpointUnreachableError, type NetworkError } from '../core/errors.ts';

/**
 * Requests in a row without any answer from the API after which the endpoint counts as unreachable. Five is
 * one less than the default attempts of a single call, so a lone call against a dead endpoint stops rather
 * than grinding through its retries; and it is more than the handful of requests that can fail together
 * when a server drops its idle keep-alive connections.
 */
export const UNREACHABLE_AFTER_FAILURES = 5;

/**
 * Watches, across a run, for an endpoint that never answers. Any answer from the API (a success or an API
 * error) proves it is there and resets the count. Failures only count as a dead endpoint once a request sent
 * after the first of them failed too: a wave of requests in flight that fail together in one network blip
 * is not enough, their retries must fail as well.
 */
export class EndpointWatch {
  readonly #limit: number;
  #failures = 0;
  /** When the first failure of the current run of failures was seen. */
  #firstFailureAt = 0;
  #sentSinceFirst = false;

  constructor(limit = UNREACHABLE_AFTER_FAILURES) {
    this.#limit = limit;
  }

  /** The API answered (with a result or an error document). */
  answered(): void {
    this.#failures = 0;
    this.#sentSinceFirst = false;
  }

  /**
   * A request sent at `sentAt` got no answer, seen at `now`. Returns the error to stop the run with when the
   * endpoint is unreachable: at once for a host name that does not resolve, else after enough in a row.
   */
  noAnswer(error: NetworkError, sentAt: number, now: number): EndpointUnreachableError | undefined {
    if (error.code === 'ENOTFOUND') {
      return new EndpointUnreachableError(
        1,
        error.code,
        `the API endpoint's host name does not resolve (${error.message})`,
        {
          cause: error,
        },
      );
    }
    if (this.#failures === 0) this.#firstFailureAt = now;
    else if (sentAt > this.#firstFailureAt) this.#sentSinceFirst = true;
    this.#failures++;
    if (this.#failures < this.#limit || !this.#sentSinceFirst) return undefined;
    return new EndpointUnreachableError(
      this.#failures,
      error.code,
      `no answer from the API endpoint to ${this.#failures} requests in a row (last: ${error.code}: ${error.message})`,
      { cause: error },
    );
  }
}
