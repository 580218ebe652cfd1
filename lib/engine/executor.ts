import { setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import { backoffDelayMs } from '../core/backoff.ts';
import {
  ApiError,
  classifyError,
  DeadlineError,
  type EndpointUnreachableError,
  type ErrorClass,
  NetworkError,
  StoppedError,
} from '../core/errors.ts';
import type { GiveUpReason } from '../core/outcome.ts';
import type { CallOptions, Sleep } from '../core/ports.ts';
import { abortableSleep } from '../core/sleep.ts';
import type { Logger } from '../logger.ts';
import { EndpointWatch } from './endpoint-watch.ts';
import type { AdaptiveRateController } from './rate-controller.ts';

export interface ExecutorOptions {
  /** The shared adaptive rate limiter (one per process or Lambda container). */
  readonly rate: AdaptiveRateController;
  /** Calls in flight at most. A safety bound: the rate controller is the throttle. */
  readonly concurrency: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** Epoch ms after which no attempt starts and no retry sleeps. @default no deadline */
  readonly deadlineAt?: number;
  /** Per-request timeout; shortened so a request in flight ends before the deadline. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** First backoff step after a transient error. @default 100 */
  readonly baseDelayMs?: number;
  /** First backoff step after throttling. @default 500 */
  readonly throttleBaseDelayMs?: number;
  /** Cap on any one backoff. @default 20000 */
  readonly maxDelayMs?: number;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly logger?: Logger;
}

/** A call that gave up, and why. */
export interface CallFailure {
  readonly ok: false;
  readonly reason: GiveUpReason;
  /** The last error seen; for `deadline` with no attempt made, a DeadlineError. */
  readonly error: unknown;
  readonly errorClass?: ErrorClass;
  readonly attempts: number;
  readonly throttles: number;
}

/** How {@link Executor.run} ended: the value, or the reason it gave up. */
export type CallResult<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly throttles: number }
  | CallFailure;

/** What one call has been through so far, across its attempts. */
interface CallState {
  attempts: number;
  throttles: number;
  lastError: unknown;
  lastClass: ErrorClass | undefined;
  /** When the latest attempt went out, so the rate controller can tell a stale throttle from a fresh one. */
  sentAt: number | undefined;
  /** The latest attempt's timeout was shortened to end before the deadline. */
  cutShort: boolean;
}

/** Counters for the summary lines and the bench. */
export interface ExecutorStats {
  /** Requests sent, retries included. */
  attempts: number;
  retries: number;
  throttled: number;
}

/** Log fields that identify a call; never credentials or signed parameters. */
export type CallContext = Readonly<Record<string, string | number | undefined>>;

/**
 * Runs calls under four separate knobs: the shared rate controller, a concurrency cap, retries of
 * throttle/transient errors only (capped exponential backoff, full jitter, `x-acs-retry-after`
 * honoured), and a deadline. A fatal error stops every later attempt.
 */
export class Executor {
  readonly stats: ExecutorStats = { attempts: 0, retries: 0, throttled: 0 };
  readonly #options: ExecutorOptions;
  readonly #limit: LimitFunction;
  /** Halts: no attempt starts after it, and every call waiting for a slot or a retry wakes up. */
  readonly #stop = new AbortController();
  /** Goes with every request: aborting it cuts the requests in flight. */
  readonly #abortInFlight = new AbortController();
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #random: () => number;
  #stopError: unknown;
  /** Until one call has had an answer, only that call is in flight (see {@link Executor.run}). */
  #probeSent = false;
  #nonceRefusals = 0;
  /** Stops the run when the endpoint does not resolve, or gives no answer to requests in a row. */
  readonly #endpoint = new EndpointWatch();
  #probeAnswered = false;
  readonly #probeDone: Promise<void>;
  #openProbeGate: () => void = () => undefined;

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
    this.#sleep = options.sleep ?? abortableSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    // Every sleeping call listens on the stop signal; thousands may wait at once, which is expected.
    setMaxListeners(0, this.#stop.signal, this.#abortInFlight.signal);
    this.#probeDone = new Promise((resolve) => {
      this.#openProbeGate = resolve;
    });
  }

  /** The error that stopped the run, if one did. */
  get stopError(): unknown {
    return this.#stopError;
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Stops every later attempt, aborts the requests in flight and wakes everything waiting. */
  stop(error: unknown): void {
    this.halt(error);
    this.#abortInFlight.abort();
  }

  /**
   * Stops every later attempt and wakes everything waiting, but lets the requests in flight finish (each
   * within its own timeout), so an interrupted run still learns what its last calls did.
   */
  halt(error: unknown): void {
    if (this.stopped) return;
    this.#stopError = error;
    this.#stop.abort();
    this.#openProbeGate();
  }

  /**
   * The first call goes out alone: if the credentials, the signature or the clock are wrong, the API
   * says so once instead of to a full window of concurrent calls.
   */
  async #passProbeGate(): Promise<void> {
    if (this.#probeAnswered) return;
    if (!this.#probeSent) {
      this.#probeSent = true;
      return;
    }
    await this.#probeDone;
  }

  #probeAnsweredWith(errorClass: ErrorClass | 'ok'): void {
    if (this.#probeAnswered || errorClass === 'fatal') return;
    this.#probeAnswered = true;
    this.#openProbeGate();
  }

  /** Runs `attempt` until it succeeds, fails for good, runs out of attempts or hits the deadline. */
  async run<T>(attempt: (options: CallOptions) => Promise<T>, context: CallContext = {}): Promise<CallResult<T>> {
    const deadlineAt = this.#options.deadlineAt ?? Number.POSITIVE_INFINITY;
    const call: CallState = {
      attempts: 0,
      throttles: 0,
      lastError: undefined,
      lastClass: undefined,
      sentAt: undefined,
      cutShort: false,
    };
    while (call.attempts < this.#options.maxAttempts) {
      if (this.stopped) return giveUp(call, 'stopped', this.#stopError, 'fatal');
      try {
        const value = await this.#limit(() => this.#send(attempt, call, context, deadlineAt));
        this.#options.rate.onSuccess();
        this.#endpoint.answered();
        this.#probeAnsweredWith('ok');
        return { ok: true, value, attempts: call.attempts, throttles: call.throttles };
      } catch (error) {
        const verdict = this.#learnFrom(error, call);
        if (typeof verdict !== 'string') return verdict;
        if (call.attempts >= this.#options.maxAttempts) break;
        const late = await this.#waitToRetry(error, verdict, call, context, deadlineAt);
        if (late) return late;
      }
    }
    return giveUp(call, 'exhausted', call.lastError, call.lastClass);
  }

  /** One attempt, inside a concurrency slot: probe gate, rate slot, deadline check, then the request. */
  async #send<T>(
    attempt: (options: CallOptions) => Promise<T>,
    call: CallState,
    context: CallContext,
    deadlineAt: number,
  ): Promise<T> {
    await this.#passProbeGate();
    if (this.stopped) throw new StoppedError('run stopped');
    // Slots are handed out when due, at the rate of that moment, so a cut reaches the wire at once.
    await this.#options.rate.acquire(deadlineAt, this.#stop.signal);
    if (this.stopped) throw new StoppedError('run stopped');
    const requestTimeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const timeoutMs = Math.min(requestTimeoutMs, deadlineAt - this.#now());
    if (timeoutMs <= 0) throw new DeadlineError('deadline reached');
    call.cutShort = timeoutMs < requestTimeoutMs;
    call.attempts++;
    this.stats.attempts++;
    this.#options.logger?.debug({ event: 'call.attempt', ...context, attempt: call.attempts }, 'call.attempt');
    call.sentAt = this.#now();
    // The stop signal goes with the request, so a fatal error elsewhere aborts it in flight.
    return attempt({ timeoutMs, signal: this.#abortInFlight.signal });
  }

  /**
   * Classifies a failed attempt and feeds the rate controller. Returns the failure when the call must give
   * up, or the error class of a failure worth retrying.
   */
  #learnFrom(error: unknown, call: CallState): CallFailure | ErrorClass {
    if (error instanceof StoppedError) return giveUp(call, 'stopped', this.#stopError, 'fatal');
    if (error instanceof DeadlineError) {
      this.#probeAnsweredWith('ok'); // the others must not wait on a probe that will never be sent
      return giveUp(call, 'deadline', call.lastError ?? error, call.lastClass);
    }
    // Without an answer from the API after a stop, the request was (most likely) aborted by the stop itself.
    if (this.stopped && !(error instanceof ApiError)) return giveUp(call, 'stopped', this.#stopError, 'fatal');
    let errorClass = classifyError(error);
    // Every attempt carries a fresh random nonce, so one refusal can be a fluke (a duplicated packet),
    // but a second one in the same run means the nonce source is broken: retrying would only burn quota.
    if (codeOf(error) === 'SignatureNonceUsed' && this.#nonceRefusals++ > 0) errorClass = 'fatal';
    this.#probeAnsweredWith(errorClass);
    call.lastError = error;
    call.lastClass = errorClass;
    const unreachable = this.#watchEndpoint(error, call);
    if (unreachable) {
      this.stop(unreachable);
      return giveUp(call, 'fatal', unreachable, 'fatal');
    }
    if (errorClass === 'throttle') {
      call.throttles++;
      this.stats.throttled++;
      this.#options.rate.onThrottle(error instanceof ApiError ? error.retryAfterMs : undefined, call.sentAt);
    } else if (error instanceof ApiError) {
      this.#options.rate.onSuccess(); // an answer that is not a throttle still shows the quota let the call through
    }
    if (errorClass === 'fatal') {
      this.stop(error);
      return giveUp(call, 'fatal', error, errorClass);
    }
    if (errorClass === 'permanent') return giveUp(call, 'permanent', error, errorClass);
    return errorClass;
  }

  /** Feeds the endpoint watch; returns the error to stop the run with when the endpoint never answers. */
  #watchEndpoint(error: unknown, call: CallState): EndpointUnreachableError | undefined {
    if (error instanceof ApiError) this.#endpoint.answered();
    // Aborted is our own doing, and a timeout the deadline cut short says nothing about the endpoint.
    if (!(error instanceof NetworkError) || error.code === 'Aborted' || (error.code === 'Timeout' && call.cutShort)) {
      return undefined;
    }
    const now = this.#now();
    return this.#endpoint.noAnswer(error, call.sentAt ?? now, now);
  }

  /** Sleeps out the backoff before a retry, outside any concurrency slot; gives up if it would pass the deadline. */
  async #waitToRetry(
    error: unknown,
    errorClass: ErrorClass,
    call: CallState,
    context: CallContext,
    deadlineAt: number,
  ): Promise<CallFailure | undefined> {
    const delayMs = this.#backoffMs(error, errorClass, call.attempts);
    if (this.#now() + delayMs >= deadlineAt) return giveUp(call, 'deadline', error, errorClass);
    this.stats.retries++;
    this.#options.logger?.warn(
      {
        event: 'call.retry',
        ...context,
        attempt: call.attempts,
        delayMs: Math.round(delayMs),
        code: codeOf(error),
        errorClass,
      },
      'call.retry',
    );
    await this.#sleep(delayMs, this.#stop.signal);
    return undefined;
  }

  /** Full jitter over a capped exponential step; the server's retry-after wins when present. */
  #backoffMs(error: unknown, errorClass: ErrorClass, attempt: number): number {
    if (error instanceof ApiError && error.retryAfterMs !== undefined) return error.retryAfterMs;
    const baseDelayMs =
      errorClass === 'throttle' ? (this.#options.throttleBaseDelayMs ?? 500) : (this.#options.baseDelayMs ?? 100);
    const policy = { baseDelayMs, maxDelayMs: this.#options.maxDelayMs ?? 20_000, jitterShare: 1 };
    return backoffDelayMs(attempt, policy, this.#random);
  }
}

function giveUp(call: CallState, reason: GiveUpReason, error: unknown, errorClass?: ErrorClass): CallFailure {
  return {
    ok: false,
    reason,
    error,
    attempts: call.attempts,
    throttles: call.throttles,
    ...(errorClass !== undefined && { errorClass }),
  };
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
