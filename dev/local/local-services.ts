// Dev tooling only: the whole deployment on 127.0.0.1, the event path included: fauxqs (work and events
// queues with their DLQs), the ECS emulator, the ingest endpoint and one Lambda-like poller per SQS function.
import type { SQSEvent } from 'aws-lambda';
import { messageOf } from '../../lib/core/errors.ts';
import type { Logger } from '../../lib/logger.ts';
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
  const { policyFile, packageRoot, ingestToken, logger, functionTimeoutMs, ingestPort, selfPrincipalId, ...rest } =
    options;
  const { batchingWindowMs, onBatch, onInvoke, ...stackOptions } = rest;
  const stack = await startLocalStack({ ...stackOptions, eventsQueue: true });
  const closers: (() => Promise<void>)[] = [() => stack.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  try {
    const events = stack.events as EventsQueues;
    const cleanup = localCleanupHandler(stack, { logger: logger.child({ function: 'cleanup' }), functionTimeoutMs });
    closers.push(async () => cleanup.client.close());
    const adapter = await localEventsHandler(stack, {
      logger: logger.child({ function: 'events' }),
      functionTimeoutMs,
      policyFile,
      ...(packageRoot !== undefined && { packageRoot }),
      ...(selfPrincipalId !== undefined && { selfPrincipalId }),
    });
    closers.push(async () => adapter.client.close());
    const poll = (fn: LocalFunction, queueUrl: string, handler: SqsHandler): Poller => {
      const poller = startPoller({
        sqs: stack.sqs,
        queueUrl,
        functionTimeoutMs,
        functionName: `tag-cleanup-local-${fn}`,
        maximumBatchingWindowMs: batchingWindowMs?.[fn] ?? 0,
        handler: (event, context) => {
          onBatch?.(fn, event, Date.now());
          return handler(event, context);
        },
        ...(onInvoke && { onInvoke: (report: InvokeReport) => onInvoke(fn, report) }),
      });
      closers.push(() => poller.stop());
      return poller;
    };
    const pollers = {
      cleanup: poll('cleanup', stack.queueUrl, cleanup.handler),
      events: poll('events', events.queueUrl, adapter.handler),
    };
    const ingestLogger = logger.child({ function: 'ingest' });
    const ingest = await startIngestServer({
      handler: localIngestHandler(stack, { logger: ingestLogger, token: ingestToken }),
      port: ingestPort ?? 0,
      onError: (error) => ingestLogger.error({ error: { message: messageOf(error) } }, 'ingest.crashed'),
    });
    closers.push(() => ingest.close());
    return {
      stack,
      events,
      ingest,
      ingestToken,
      policyFile,
      pollers,
      maxMessageBytes: cleanup.maxMessageBytes,
      async runUntilIdle(idle = {}) {
        await pollers.events.runUntilIdle(idle);
        await pollers.cleanup.runUntilIdle(idle);
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
