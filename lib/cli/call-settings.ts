/** The call knobs `run`, `sweep` and `event` share: from flags and the environment to a client and executor. */
import { EcsClient } from '../alibaba/client.ts';
import type { CredentialsSource } from '../alibaba/credentials.ts';
import type { Config } from '../config.ts';
import type { Clock, Sleep } from '../core/ports.ts';
import type { ExecutorOptions } from '../engine/executor.ts';
import { AdaptiveRateController } from '../engine/rate-controller.ts';
import { maxQpsFlag, positiveIntFlag, urlFlag } from './options.ts';

/** How calls are made: the endpoint, the rate ceiling, the caps and the timeouts. */
export interface CallSettings {
  readonly endpoint?: string;
  readonly maxQps?: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly maxResources: number;
  readonly logLevel: string;
}

/** The parseArgs options of the shared call flags. */
export const CALL_FLAGS = {
  endpoint: { type: 'string' },
  'max-qps': { type: 'string' },
  concurrency: { type: 'string' },
  'max-attempts': { type: 'string' },
} as const;

/** The shared call flags' values, as parseArgs returns them. */
export interface CallFlagValues {
  readonly endpoint?: string | undefined;
  readonly 'max-qps'?: string | undefined;
  readonly concurrency?: string | undefined;
  readonly 'max-attempts'?: string | undefined;
}

/** Flags first, then the environment (each flag names itself in its error). */
export function callSettings(values: CallFlagValues, config: Config): CallSettings {
  const endpoint = urlFlag('endpoint', values.endpoint) ?? config.ecsEndpoint;
  const maxQps = maxQpsFlag(values['max-qps']) ?? config.maxQps;
  return {
    ...(endpoint !== undefined && { endpoint }),
    ...(maxQps !== undefined && { maxQps }),
    concurrency: positiveIntFlag('concurrency', values.concurrency) ?? config.concurrency,
    maxAttempts: positiveIntFlag('max-attempts', values['max-attempts']) ?? config.maxAttempts,
    requestTimeoutMs: config.requestTimeoutMs,
    maxResources: config.maxResources,
    logLevel: config.logLevel,
  };
}

/** The ECS client the settings describe. */
export function ecsClientFor(settings: CallSettings, credentials: CredentialsSource): EcsClient {
  return new EcsClient({
    credentials,
    requestTimeoutMs: settings.requestTimeoutMs,
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
  });
}

/** RemoveTags executor options for the settings, with a fresh adaptive rate controller. */
export function removalExecutor(
  settings: CallSettings,
  timing: { readonly now?: Clock; readonly sleep?: Sleep } = {},
): Omit<ExecutorOptions, 'logger'> {
  const time = { ...(timing.now && { now: timing.now }), ...(timing.sleep && { sleep: timing.sleep }) };
  return {
    ...time,
    rate: new AdaptiveRateController({ ...time, ...(settings.maxQps !== undefined && { maxQps: settings.maxQps }) }),
    concurrency: settings.concurrency,
    maxAttempts: settings.maxAttempts,
    requestTimeoutMs: settings.requestTimeoutMs,
  };
}
