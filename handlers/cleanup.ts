import { SQSClient } from '@aws-sdk/client-sqs';
import { EcsClient } from '../lib/alibaba/client.ts';
import { SqsQueueSender } from '../lib/aws/sqs-send.ts';
import { lambdaCredentials } from '../lib/aws/ssm-credentials.ts';
import { loadConfig, requireQueues } from '../lib/config.ts';
import { AdaptiveRateController } from '../lib/engine/rate-controller.ts';
import { type BatchDeps, makeBatchHandler, type SqsBatchHandler } from '../lib/lambda/batch.ts';
import { createLogger } from '../lib/logger.ts';

/** The SQS → Lambda adapter: records in, `batchItemFailures` out. All logic lives in lib/lambda/batch.ts. */
export type CleanupHandler = SqsBatchHandler;

/** Builds a handler around ready-made dependencies (tests pass the emulator, fauxqs and fake clocks). */
export const makeHandler: (deps: BatchDeps) => CleanupHandler = makeBatchHandler;

/** Production dependencies, from the environment; built once per cold start. */
export function depsFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): BatchDeps {
  const config = requireQueues(loadConfig(env));
  const logger = createLogger({ level: config.logLevel, base: { service: 'tag-cleanup' } });
  const credentials = lambdaCredentials(config, env);
  return {
    config,
    logger,
    // Region and endpoint come from the standard AWS settings (AWS_REGION, AWS_ENDPOINT_URL_SQS). Retries
    // live in one layer (lib/aws/sqs-send.ts), so the SDK's own are off.
    queue: new SqsQueueSender(new SQSClient({ maxAttempts: 1, useQueueUrlAsEndpoint: !config.sqsEndpointOverridden })),
    client: new EcsClient({
      credentials,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(config.ecsEndpoint !== undefined && { endpoint: config.ecsEndpoint }),
    }),
    // Per container: a throttle learnt in one invocation slows the next one too.
    rate: new AdaptiveRateController(config.maxQps !== undefined ? { maxQps: config.maxQps } : {}),
  };
}

let cached: CleanupHandler | undefined;

/** The Lambda entry point. Config errors surface on the first invocation, naming the variable to fix. */
export const handler: CleanupHandler = (event, context) => {
  cached ??= makeHandler(depsFromEnvironment());
  return cached(event, context);
};
