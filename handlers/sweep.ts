import { SQSClient } from '@aws-sdk/client-sqs';
import { EcsClient } from '../lib/alibaba/client.ts';
import { SqsQueueSender } from '../lib/aws/sqs-send.ts';
import { lambdaCredentials } from '../lib/aws/ssm-credentials.ts';
import { loadSweepConfig } from '../lib/config.ts';
import { makeSweepHandler, type ScheduledSweepHandler, type SweepDeps } from '../lib/lambda/sweep-handler.ts';
import { createLogger } from '../lib/logger.ts';

/** Builds a handler around ready-made dependencies (tests pass in-memory fakes and a fake clock). */
export const makeHandler: (deps: SweepDeps) => ScheduledSweepHandler = makeSweepHandler;

/** Production dependencies, from the environment; built once per cold start. The policy is read per run. */
export function depsFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): SweepDeps {
  const config = loadSweepConfig(env);
  const credentials = lambdaCredentials(config, env);
  return {
    config,
    logger: createLogger({ level: config.logLevel, base: { service: 'tag-cleanup', function: 'sweep' } }),
    credentials,
    // Only the read APIs are used: the sweep enqueues, and the cleanup function removes.
    inventory: new EcsClient({
      credentials,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(config.ecsEndpoint !== undefined && { endpoint: config.ecsEndpoint }),
    }),
    // Region and endpoint come from the standard AWS settings; retries live in lib/aws/sqs-send.ts only.
    queue: new SqsQueueSender(new SQSClient({ maxAttempts: 1, useQueueUrlAsEndpoint: !config.sqsEndpointOverridden })),
  };
}

let cached: ScheduledSweepHandler | undefined;

/**
 * The scheduled entry point (the `sweepSchedule` rule). Config errors surface on the first invocation,
 * naming the variable to fix; a bad policy logs `sweep.fatal` and fails the invocation.
 */
export const handler: ScheduledSweepHandler = (event, context) => {
  cached ??= makeHandler(depsFromEnvironment());
  return cached(event, context);
};
