import type { Context, SQSEvent } from 'aws-lambda';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { createLogger } from '../../lib/logger.ts';
import { type SqsHandler, startPoller } from '../local/poller.ts';
import { localSqsClient } from '../local/sqs.ts';
import type { LocalStack } from '../local/stack.ts';
import type { Container, ContainerSinks } from './container.ts';
import { cutShort, reportingHooks, type WorkerSettings } from './worker-kit.ts';

/** The real cleanup handler wired to the stack, and what to close when its container stops. */
interface WiredHandler {
  readonly handler: SqsHandler;
  close(): void;
}

/**
 * A container as a poller in this process, for the fast test: same handler, same queues, no fork. With
 * `crashFirstInvocation`, its first invocation does its work and then fails before the poller deletes anything.
 */
export function inlineContainer(
  id: number,
  env: Readonly<Record<string, string>>,
  stack: LocalStack,
  settings: WorkerSettings,
  sinks: ContainerSinks,
  crashFirstInvocation: boolean,
): Container {
  const wired = wireHandler(env, stack, sinks.keep);
  const handler = crashFirstInvocation ? crashingOnce(wired.handler) : wired.handler;
  const pollerSqs = localSqsClient(settings.sqsEndpoint);
  const container: Container = {
    id,
    running: 0,
    stop: async () => {
      await poller.stop();
      pollerSqs.destroy();
      wired.close();
    },
  };
  const hooks = reportingHooks((message) => sinks.onMessage(container, message));
  const poller = startPoller({
    sqs: pollerSqs,
    queueUrl: settings.queueUrl,
    batchSize: settings.batchSize,
    functionTimeoutMs: settings.functionTimeoutMs,
    waitTimeSeconds: 0,
    handler: cutShort(handler, settings, hooks.cut),
    onInvoke: hooks.onInvoke,
    onError: hooks.onError,
  });
  return container;
}

/** The cleanup handler as handlers/cleanup.ts builds it, from `env`, logging to `keep`. */
function wireHandler(
  env: Readonly<Record<string, string>>,
  stack: LocalStack,
  keep: (line: string) => void,
): WiredHandler {
  const config = requireQueues(loadConfig(env));
  // As in production (handlers/cleanup.ts): retries live in lib/aws/sqs-send.ts only.
  const sqs = localSqsClient(env.AWS_ENDPOINT_URL_SQS ?? stack.sqsEndpoint);
  const client = new EcsClient({
    endpoint: stack.emulator.url,
    credentials: staticCredentials(stack.credentials),
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const handler = makeHandler({
    config,
    queue: new SqsQueueSender(sqs),
    client,
    rate: new AdaptiveRateController(config.maxQps !== undefined ? { maxQps: config.maxQps } : {}),
    logger: createLogger({ level: config.logLevel, destination: { write: (line: string) => keep(line) } }),
  });
  return {
    handler,
    close: () => {
      sqs.destroy();
      client.close();
    },
  };
}

/** The handler, except that its first invocation throws after the work, before the acknowledgement. */
function crashingOnce(handler: SqsHandler): SqsHandler {
  let crashed = false;
  return async (event: SQSEvent, context: Context) => {
    const response = await handler(event, context);
    if (!crashed) {
      crashed = true;
      throw new Error('simulated crash after the work, before the acknowledgement');
    }
    return response;
  };
}
