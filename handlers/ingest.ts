import { SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { SqsQueueSender } from '../lib/aws/sqs-send.ts';
import { loadIngestConfig } from '../lib/config.ts';
import { ConfigError } from '../lib/core/errors.ts';
import { ingestTokenSource } from '../lib/lambda/ingest-auth.ts';
import {
  type IngestDeps,
  type IngestHandler,
  makeIngestHandler,
  makeMisconfiguredIngestHandler,
} from '../lib/lambda/ingest-handler.ts';
import { createLogger } from '../lib/logger.ts';

/** Builds a handler around ready-made dependencies (tests pass an in-memory queue and a fake clock). */
export const makeHandler: (deps: IngestDeps) => IngestHandler = makeIngestHandler;

/** Production dependencies, from the environment; built once per cold start. */
export function depsFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): IngestDeps {
  const config = loadIngestConfig(env);
  return {
    token: ingestTokenSource(config),
    // Region and endpoint come from the standard AWS settings; retries live in lib/aws/sqs-send.ts only.
    queue: new SqsQueueSender(new SQSClient({ maxAttempts: 1, useQueueUrlAsEndpoint: !config.sqsEndpointOverridden })),
    eventsQueueUrl: config.eventsQueueUrl,
    logger: createLogger({ level: config.logLevel, base: { service: 'tag-cleanup', function: 'ingest' } }),
    now: Date.now,
  };
}

/** A bad environment (say, no events queue URL) answers 500 to every request rather than failing open. */
function build(): IngestHandler {
  try {
    return makeHandler(depsFromEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const logger = createLogger({ base: { service: 'tag-cleanup', function: 'ingest' } });
    return makeMisconfiguredIngestHandler(logger, Date.now, error.message);
  }
}

let cached: IngestHandler | undefined;

/** The Lambda Function URL entry point (payload format 2.0; auth type NONE, the token is checked here). */
export const handler = (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
  cached ??= build();
  return cached(event);
};
