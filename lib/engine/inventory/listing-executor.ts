import type { TimeSource } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';
import { Executor } from '../executor.ts';
import type { AdaptiveRateController } from '../rate-controller.ts';

/** The knobs every listing executor shares (sweep and event adapter alike). */
export interface ListingExecutorOptions extends TimeSource {
  readonly logger: Logger;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  /** Epoch ms after which no listing call starts. */
  readonly deadlineAt?: number;
  /** Halts the executor (an interrupted CLI run): calls in flight finish, none starts. */
  readonly signal?: AbortSignal;
}

/** An executor for one listing API in one region, paced by `rate` and halted by the options' signal. */
export function listingExecutor(rate: AdaptiveRateController, options: ListingExecutorOptions): Executor {
  const executor = new Executor({
    rate,
    concurrency: options.concurrency,
    maxAttempts: options.maxAttempts,
    requestTimeoutMs: options.requestTimeoutMs,
    logger: options.logger,
    ...(options.deadlineAt !== undefined && { deadlineAt: options.deadlineAt }),
    ...(options.now && { now: options.now }),
    ...(options.sleep && { sleep: options.sleep }),
    ...(options.random && { random: options.random }),
  });
  const { signal } = options;
  if (signal?.aborted) executor.halt(signal.reason);
  else signal?.addEventListener('abort', () => executor.halt(signal.reason), { once: true });
  return executor;
}
