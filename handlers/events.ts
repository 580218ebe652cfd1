import { SQSClient } from '@aws-sdk/client-sqs';
import { EcsClient } from '../lib/alibaba/client.ts';
import { SqsQueueSender } from '../lib/aws/sqs-send.ts';
import { lambdaCredentials } from '../lib/aws/ssm-credentials.ts';
import { loadEventsConfig } from '../lib/config.ts';
import type { SqsBatchHandler } from '../lib/lambda/batch.ts';
import { type EventsDeps, makeEventsHandler } from '../lib/lambda/events-handler.ts';
import { createLogger } from '../lib/logger.ts';
import { loadPolicyFile } from '../lib/policy-file.ts';

/** Builds a handler around ready-made dependencies (tests pass in-memory fakes and a fake clock). */
export const makeHandler: (deps: EventsDeps) => SqsBatchHandler = makeEventsHandler;

/** Production dependencies, from the environment and the packaged policy file; built once per cold start. */
export async function depsFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<EventsDeps> {
  const config = loadEventsConfig(env);
  const logger = createLogger({ level: config.logLevel, base: { service: 'tag-cleanup', function: 'events' } });
  return {
    config,
    policy: await loadPolicyFile(config.policyFile),
    logger,
    // Region and endpoint come from the standard AWS settings; retries live in lib/aws/sqs-send.ts only.
    queue: new SqsQueueSender(new SQSClient({ maxAttempts: 1, useQueueUrlAsEndpoint: !config.sqsEndpointOverridden })),
    client: new EcsClient({
      credentials: lambdaCredentials(config, env),
      requestTimeoutMs: config.requestTimeoutMs,
      ...(config.ecsEndpoint !== undefined && { endpoint: config.ecsEndpoint }),
    }),
  };
}

let cached: Promise<SqsBatchHandler> | undefined;

/**
 * The Lambda entry point on the events queue. A bad environment or policy fails every invocation, naming
 * what to fix, so no event is acknowledged unread: SQS redelivers them and, in the end, dead-letters them.
 */
export const handler: SqsBatchHandler = async (event, context) => {
  cached ??= depsFromEnvironment().then(makeHandler);
  return (await cached)(event, context);
};
