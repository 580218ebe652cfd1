// Dev tooling only: the whole deployment on 127.0.0.1, the event path included: fauxqs (work and events
// queues with their DLQs), the ECS emulator, the ingest endpoint and one Lambda-like poller per SQS function.
import type { SQSEvent } from 'aws-lambda';
import { messageOf } from '../../lib/core/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { Closers } from './closers.ts';
import { type IngestServer, startIngestServer } from './ingest-server.ts';
import type { SqsHandler } from './invoke-handler.ts';
import { localCleanupHandler, localEventsHandler, localIngestHandler } from './local-handlers.ts';
import { type InvokeReport, type Poller, type RunUntilIdleOptions, startPoller } from './poller.ts';
import { type EventsQueues, type LocalStack, type LocalStackOptions, startLocalStack } from './stack.ts';

/** Which function a poller feeds. */
export type LocalFunction = 'cleanup' | 'events';

export interface LocalServicesOptions extends Omit<LocalStackOptions, 'poller' | 'eventsQueue'> {
  /** Absolute path of the event adapter's policy file. */
  readonly policyFile: string;
  /** LAMBDA_TASK_ROOT for the adapter when the policy file is inside it (the repo). */
  readonly packageRoot?: string;
  /** The token the ingest endpoint expects in `x-tag-cleanup-token`. */
  readonly ingestToken: string;
  /** Every handler logs here, each through a child with its `function` name. */
  readonly logger: Logger;
  /** Both functions' timeout. */
  readonly functionTimeoutMs: number;
  /** @default 0 (any free port) */
  readonly ingestPort?: number;
  /** TAG_CLEANUP_SELF_PRINCIPAL: the adapter ignores events this principal caused. */
  readonly selfPrincipalId?: string;
  /** Lambda's MaximumBatchingWindow for each poller, ms. @default 0 for both */
  readonly batchingWindowMs?: Partial<Record<LocalFunction, number>>;
  /** Called as each invocation starts, with its event: the bench's timestamps. */
  readonly onBatch?: (fn: LocalFunction, event: SQSEvent, startedMs: number) => void;
  /** Called after each invocation. */
  readonly onInvoke?: (fn: LocalFunction, report: InvokeReport) => void;
}

/** The running services. */
export interface LocalServices {
  readonly stack: LocalStack;
  readonly events: EventsQueues;
  readonly ingest: IngestServer;
  readonly ingestToken: string;
  readonly policyFile: string;
  readonly pollers: Readonly<Record<LocalFunction, Poller>>;
  /** The work queue's MaximumMessageSize, as the cleanup function reads it. */
  readonly maxMessageBytes: number;
  /** Resolves once the events queue and then the work queue are idle (the event path flows one way). */
  runUntilIdle(options?: RunUntilIdleOptions): Promise<void>;
  /** Stops the ingest endpoint, the pollers, the clients and the stack. */
  close(): Promise<void>;
}

/**
 * Starts the stack with its events queues, then the real handlers wired to it, the two pollers and the
 * ingest endpoint. Everything listens on 127.0.0.1; a failure part-way stops what was started.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const stack = await startLocalStack({ ...stackOptionsOf(options), eventsQueue: true });
  const closers = new Closers();
  closers.add(() => stack.close());
  try {
    const events = stack.events as EventsQueues;
    const functions = await startFunctions(stack, events, options, closers);
    const ingest = await startIngest(stack, options, closers);
    const { pollers } = functions;
    return {
      stack,
      events,
      ingest,
      ingestToken: options.ingestToken,
      policyFile: options.policyFile,
      pollers,
      maxMessageBytes: functions.maxMessageBytes,
      async runUntilIdle(idle = {}) {
        await pollers.events.runUntilIdle(idle);
        await pollers.cleanup.runUntilIdle(idle);
      },
      close: () => closers.closeAll(),
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** The options that are the stack's own: everything but the services' ones. */
function stackOptionsOf(options: LocalServicesOptions): Omit<LocalStackOptions, 'poller' | 'eventsQueue'> {
  const { policyFile, packageRoot, ingestToken, logger, functionTimeoutMs, ingestPort, selfPrincipalId, ...rest } =
    options;
  const { batchingWindowMs, onBatch, onInvoke, ...stackOptions } = rest;
  return stackOptions;
}

/** The cleanup function on the work queue and the event adapter on the events queue, each with its poller. */
async function startFunctions(
  stack: LocalStack,
  events: EventsQueues,
  options: LocalServicesOptions,
  closers: Closers,
): Promise<{ readonly pollers: Record<LocalFunction, Poller>; readonly maxMessageBytes: number }> {
  const { logger, functionTimeoutMs, policyFile, packageRoot, selfPrincipalId } = options;
  const cleanup = localCleanupHandler(stack, { logger: logger.child({ function: 'cleanup' }), functionTimeoutMs });
  closers.add(() => cleanup.client.close());
  const adapter = await localEventsHandler(stack, {
    logger: logger.child({ function: 'events' }),
    functionTimeoutMs,
    policyFile,
    ...(packageRoot !== undefined && { packageRoot }),
    ...(selfPrincipalId !== undefined && { selfPrincipalId }),
  });
  closers.add(() => adapter.client.close());
  const pollers = {
    cleanup: startFunctionPoller(stack, 'cleanup', stack.queueUrl, cleanup.handler, options, closers),
    events: startFunctionPoller(stack, 'events', events.queueUrl, adapter.handler, options, closers),
  };
  return { pollers, maxMessageBytes: cleanup.maxMessageBytes };
}

/** One Lambda-like poller feeding `fn` from its queue, reporting each batch and invocation to the options' hooks. */
function startFunctionPoller(
  stack: LocalStack,
  fn: LocalFunction,
  queueUrl: string,
  handler: SqsHandler,
  options: LocalServicesOptions,
  closers: Closers,
): Poller {
  const { onBatch, onInvoke } = options;
  const poller = startPoller({
    sqs: stack.sqs,
    queueUrl,
    functionTimeoutMs: options.functionTimeoutMs,
    functionName: `tag-cleanup-local-${fn}`,
    maximumBatchingWindowMs: options.batchingWindowMs?.[fn] ?? 0,
    handler: (event, context) => {
      onBatch?.(fn, event, Date.now());
      return handler(event, context);
    },
    ...(onInvoke && { onInvoke: (report: InvokeReport) => onInvoke(fn, report) }),
  });
  closers.add(() => poller.stop());
  return poller;
}

/** The ingest function behind its Function URL stand-in. */
async function startIngest(stack: LocalStack, options: LocalServicesOptions, closers: Closers): Promise<IngestServer> {
  const ingestLogger = options.logger.child({ function: 'ingest' });
  const ingest = await startIngestServer({
    handler: localIngestHandler(stack, { logger: ingestLogger, token: options.ingestToken }),
    port: options.ingestPort ?? 0,
    onError: (error) => ingestLogger.error({ error: { message: messageOf(error) } }, 'ingest.crashed'),
  });
  closers.add(() => ingest.close());
  return ingest;
}
