// Dev tooling only: the three real handlers (cleanup, events, ingest) wired to the local stack, as the
// Lambda functions are wired to AWS: the same config loaders, the same lib/ factories.
import { dirname, relative } from 'node:path';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, loadEventsConfig, loadIngestConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { makeBatchHandler, type SqsBatchHandler } from '../../lib/lambda/batch.ts';
import { makeEventsHandler } from '../../lib/lambda/events-handler.ts';
import { ingestTokenSource } from '../../lib/lambda/ingest-auth.ts';
import { type IngestHandler, makeIngestHandler } from '../../lib/lambda/ingest-handler.ts';
import type { Logger } from '../../lib/logger.ts';
import { loadPolicyFile } from '../../lib/policy-file.ts';
import type { LocalStack } from './stack.ts';

/** A handler and the ECS client it holds open (close it when the stack stops). */
export interface LocalSqsHandler {
  readonly handler: SqsBatchHandler;
  readonly client: EcsClient;
}

// Short enough that a hung emulator call does not hold a local invocation for long.
const LOCAL_REQUEST_TIMEOUT_MS = 2000;

/** The safety margin for a local function timeout: the deployed 15 s would eat a short local timeout whole. */
function localDeadlineMargin(functionTimeoutMs: number): string {
  return String(Math.min(5000, functionTimeoutMs / 4));
}

function emulatorClient(stack: LocalStack): EcsClient {
  return new EcsClient({
    endpoint: stack.emulator.url,
    credentials: staticCredentials(stack.credentials),
    requestTimeoutMs: LOCAL_REQUEST_TIMEOUT_MS,
  });
}

/** The cleanup function (handlers/cleanup.ts) on the work queue. */
export function localCleanupHandler(
  stack: LocalStack,
  options: { readonly logger: Logger; readonly functionTimeoutMs: number },
): LocalSqsHandler & { readonly maxMessageBytes: number } {
  const config = requireQueues(
    loadConfig({ ...stack.env, TAG_CLEANUP_DEADLINE_MARGIN_MS: localDeadlineMargin(options.functionTimeoutMs) }),
  );
  const client = emulatorClient(stack);
  const handler = makeBatchHandler({
    config,
    queue: new SqsQueueSender(stack.sqs),
    client,
    rate: new AdaptiveRateController(),
    logger: options.logger,
  });
  return { handler, client, maxMessageBytes: config.maxMessageBytes };
}

/**
 * The event adapter (handlers/events.ts) on the events queue. The policy is passed the way the Lambda gets
 * it, as TAG_CLEANUP_POLICY_FILE relative to a package root (LAMBDA_TASK_ROOT): the repo when the file is
 * in it, otherwise the file's own folder.
 */
export async function localEventsHandler(
  stack: LocalStack,
  options: {
    readonly logger: Logger;
    readonly functionTimeoutMs: number;
    /** Absolute path of the policy file. */
    readonly policyFile: string;
    /** LAMBDA_TASK_ROOT when the policy file lies inside it. @default the policy file's folder */
    readonly packageRoot?: string;
    readonly selfPrincipalId?: string;
  },
): Promise<LocalSqsHandler> {
  const inRoot =
    options.packageRoot !== undefined && !relative(options.packageRoot, options.policyFile).startsWith('..');
  const root = inRoot ? (options.packageRoot as string) : dirname(options.policyFile);
  const config = loadEventsConfig({
    ...stack.env,
    LAMBDA_TASK_ROOT: root,
    TAG_CLEANUP_POLICY_FILE: relative(root, options.policyFile),
    TAG_CLEANUP_DEADLINE_MARGIN_MS: localDeadlineMargin(options.functionTimeoutMs),
    ...(options.selfPrincipalId !== undefined && { TAG_CLEANUP_SELF_PRINCIPAL: options.selfPrincipalId }),
  });
  const policy = await loadPolicyFile(config.policyFile);
  const client = emulatorClient(stack);
  const handler = makeEventsHandler({
    config,
    policy,
    client,
    queue: new SqsQueueSender(stack.sqs),
    logger: options.logger,
  });
  return { handler, client };
}

/** The ingest function (handlers/ingest.ts), its token from TAG_CLEANUP_INGEST_TOKEN as for local use. */
export function localIngestHandler(
  stack: LocalStack,
  options: { readonly logger: Logger; readonly token: string },
): IngestHandler {
  const config = loadIngestConfig({ ...stack.env, TAG_CLEANUP_INGEST_TOKEN: options.token });
  return makeIngestHandler({
    token: ingestTokenSource(config),
    queue: new SqsQueueSender(stack.sqs),
    eventsQueueUrl: config.eventsQueueUrl,
    logger: options.logger,
    now: Date.now,
  });
}
