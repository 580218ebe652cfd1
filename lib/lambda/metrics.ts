/** Per-invocation counters published as CloudWatch metrics. */
export interface InvocationMetrics {
  tagsRemoved: number;
  calls: number;
  throttled: number;
  retries: number;
  failedResources: number;
  deferredResources: number;
  poisonMessages: number;
}

/** Counters at zero, for the start of an invocation. */
export function emptyMetrics(): InvocationMetrics {
  return {
    tagsRemoved: 0,
    calls: 0,
    throttled: 0,
    retries: 0,
    failedResources: 0,
    deferredResources: 0,
    poisonMessages: 0,
  };
}

const METRIC_NAMES: Record<keyof InvocationMetrics, string> = {
  tagsRemoved: 'TagsRemoved',
  calls: 'Calls',
  throttled: 'Throttled',
  retries: 'Retries',
  failedResources: 'FailedResources',
  deferredResources: 'DeferredResources',
  poisonMessages: 'PoisonMessages',
};

/**
 * One CloudWatch Embedded Metric Format document (namespace `TagCleanup`): CloudWatch turns the log line
 * into metrics, so dashboards and alarms need no agent or API call.
 */
export function toEmf(metrics: InvocationMetrics, timestampMs: number, functionName: string): Record<string, unknown> {
  const values = Object.fromEntries(
    (Object.keys(METRIC_NAMES) as (keyof InvocationMetrics)[]).map((k) => [METRIC_NAMES[k], metrics[k]]),
  );
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: 'TagCleanup',
          Dimensions: [['FunctionName']],
          Metrics: Object.values(METRIC_NAMES).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    FunctionName: functionName,
    ...values,
  };
}
