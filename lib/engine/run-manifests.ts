import { InterruptedError } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.ts';
import {
  type ErrorInfo,
  type ManifestSummary,
  type OutcomeLine,
  type ResourceResult,
  type Settlement,
  settleWithoutQueue,
  toErrorInfo,
  type UnfinishedResult,
} from '../core/outcome.ts';
import type { RemoveTagsClient } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import { Executor, type ExecutorOptions } from './executor.ts';
import { runManifest } from './pipeline.ts';

export interface RunManifestsOptions {
  readonly client: RemoveTagsClient;
  readonly logger: Logger;
  readonly executor: Omit<ExecutorOptions, 'logger'>;
  readonly settle?: (result: UnfinishedResult) => Settlement;
  readonly onResult?: (result: ResourceResult) => void;
  readonly now?: () => number;
  /** Aborted on Ctrl-C or SIGTERM: no new call starts, calls in flight finish, the rest is settled as usual. */
  readonly signal?: AbortSignal;
}

/** Everything a run produced, for exit codes, reports and the demo. */
export interface RunReport {
  readonly outcomes: readonly OutcomeLine[];
  readonly summaries: readonly ManifestSummary[];
  /** Set when a fatal error (credentials, signature, clock) stopped the run. */
  readonly fatal?: ErrorInfo;
  /** Set when a signal interrupted the run. */
  readonly interrupted?: 'SIGINT' | 'SIGTERM';
  readonly executor: Executor;
}

/**
 * Runs several manifests at once through one executor (one rate limit, one concurrency cap) and settles
 * unfinished work without a queue. The CLI and the demo use it; the Lambda handler settles differently.
 */
export async function runManifests(manifests: readonly Manifest[], options: RunManifestsOptions): Promise<RunReport> {
  const executor = new Executor({ ...options.executor, logger: options.logger });
  const interrupt = () => executor.halt(options.signal?.reason);
  if (options.signal?.aborted) interrupt();
  else options.signal?.addEventListener('abort', interrupt, { once: true });
  const runs = await Promise.all(
    manifests.map((manifest) =>
      runManifest(manifest, {
        client: options.client,
        executor,
        logger: options.logger,
        ...(options.now && { now: options.now }),
        ...(options.onResult && { onResult: options.onResult }),
      }),
    ),
  );
  options.signal?.removeEventListener('abort', interrupt);
  const summaries = runs.map((run) => run.settle(options.settle ?? settleWithoutQueue));
  const stopError = executor.stopped ? executor.stopError : undefined;
  if (stopError instanceof InterruptedError) {
    options.logger.warn({ event: 'run.interrupted', signal: stopError.signal }, 'run.interrupted');
    return { outcomes: runs.flatMap((run) => run.outcomes()), summaries, interrupted: stopError.signal, executor };
  }
  const fatal = stopError === undefined ? undefined : toErrorInfo(stopError);
  if (fatal) {
    options.logger.error({ event: 'run.fatal', error: fatal }, 'run.fatal');
  }
  return {
    outcomes: runs.flatMap((run) => run.outcomes()),
    summaries,
    ...(fatal && { fatal }),
    executor,
  };
}

/** 0 when every resource ended `removed` or `planned`, 1 otherwise (the CLI's documented contract). */
export function exitCodeFor(report: RunReport): 0 | 1 | 130 | 143 {
  if (report.interrupted) return report.interrupted === 'SIGINT' ? 130 : 143;
  if (report.fatal) return 1;
  return report.outcomes.every((o) => o.outcome === 'removed' || o.outcome === 'planned') ? 0 : 1;
}
