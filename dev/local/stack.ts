// Dev tooling only: the whole cloud side on 127.0.0.1 for `npm run local` and end-to-end tests.
// Never import this from handlers/ (it pulls in fauxqs, a devDependency).
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_HEADROOM_BYTES } from '../../lib/aws/sqs-split.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../emulator/server.ts';
import { Closers } from './closers.ts';
import { createQueue } from './create-queue.ts';
import { type Poller, type PollerOptions, startPoller } from './poller.ts';
import { queueArn } from './queue-arn.ts';
import { localSqsClient, startLocalSqs } from './sqs.ts';

/** The local stack's options: the emulator's (but where it listens) and the queues'. */
export interface LocalStackOptions extends Omit<EmulatorOptions, 'host' | 'port'> {
  /** Base name of the queues; the DLQ gets `-dlq`. @default 'tag-cleanup-local-work' */
  readonly queueName?: string;
  /** Work queue visibility timeout; keep it above the function timeout. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the DLQ, as in serverless.yml. @default 5 */
  readonly maxReceiveCount?: number;
  /** MaximumMessageSize of the work queue; the DLQ takes the SQS maximum so poison fits with its reason. @default 1046528 */
  readonly maxMessageBytes?: number;
  /** Fixed ports, e.g. to point a second terminal at them. @default 0 (any free port) */
  readonly sqsPort?: number;
  readonly emulatorPort?: number;
  /** When given, a poller feeds the work queue to this handler, like the Lambda event source mapping. */
  readonly poller?: Omit<PollerOptions, 'sqs' | 'queueUrl'>;
  /** Also creates the events queue and its DLQ (`tag-cleanup-local-events`, `…-events-dlq`). @default false */
  readonly eventsQueue?: boolean;
}

/** The event path's queues, as serverless.yml sets them up. */
export interface EventsQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** Everything a local run needs to talk to the stack. */
export interface LocalStack {
  readonly sqsEndpoint: string;
  /** Client for the local SQS (SDK retries off). */
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  /** The ECS emulator; its `url` is the value for TAG_CLEANUP_ECS_ENDPOINT. */
  readonly emulator: RunningEmulator;
  /** Credentials the emulator accepts (the first account, or the defaults). */
  readonly credentials: { readonly accessKeyId: string; readonly accessKeySecret: string };
  /**
   * Environment for a handler or CLI pointed at this stack: the TAG_CLEANUP_* endpoints and queues, the
   * Alibaba credential chain's env vars, and the SDK's service-specific SQS endpoint variable.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Present when `poller` options were given. */
  readonly poller?: Poller;
  /** Present when `eventsQueue` was set. */
  readonly events?: EventsQueues;
  /** Stops the poller, the emulator and fauxqs, in that order. */
  close(): Promise<void>;
}

/** Starts fauxqs (work queue + DLQ with a redrive policy) and the ECS emulator on 127.0.0.1. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // Everything but the stack's own options goes to the emulator.
  const { queueName, visibilityTimeoutSeconds, maxReceiveCount, maxMessageBytes, eventsQueue, ...rest } = options;
  const { sqsPort, emulatorPort, poller: pollerOptions, ...emulatorOptions } = rest;
  const closers = new Closers();
  try {
    const localSqs = await startLocalSqs(sqsPort === undefined ? {} : { port: sqsPort });
    closers.add(() => localSqs.close());
    const sqs = localSqsClient(localSqs.endpoint);
    closers.add(() => sqs.destroy());
    const { maxMessageBytes: maxBytes, ...queues } = await createQueuePair(sqs, options);
    const events = eventsQueue ? await createEventsQueues(sqs, options) : undefined;
    const emulator = await startEmulator({ ...emulatorOptions, host: '127.0.0.1', port: emulatorPort ?? 0 });
    closers.add(() => emulator.close());
    const credentials = stackCredentials(options.accounts);
    let poller: Poller | undefined;
    if (pollerOptions) {
      const started = startPoller({ ...pollerOptions, sqs, queueUrl: queues.queueUrl });
      poller = started;
      closers.add(() => started.stop());
    }
    const env = stackEnv({
      ...queues,
      maxMessageBytes: maxBytes,
      emulator,
      credentials,
      sqsEndpoint: localSqs.endpoint,
      events,
    });
    return {
      sqsEndpoint: localSqs.endpoint,
      sqs,
      ...queues,
      emulator,
      credentials,
      env,
      ...(poller === undefined ? {} : { poller }),
      ...(events === undefined ? {} : { events }),
      close: () => closers.closeAll(),
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** The work queue and its DLQ, with the redrive policy serverless.yml sets up. */
async function createQueuePair(
  sqs: SQSClient,
  options: LocalStackOptions,
): Promise<Pick<LocalStack, 'queueUrl' | 'queueArn' | 'dlqUrl' | 'dlqArn'> & { maxMessageBytes: string }> {
  const maxMessageBytes = String(options.maxMessageBytes ?? 1_048_576 - ATTRIBUTE_HEADROOM_BYTES);
  const queueName = options.queueName ?? 'tag-cleanup-local-work';
  const dlqUrl = await createQueue(sqs, `${queueName}-dlq`, {
    MessageRetentionPeriod: '1209600',
    MaximumMessageSize: '1048576',
  });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createQueue(sqs, queueName, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
    MaximumMessageSize: maxMessageBytes,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn, maxMessageBytes };
}

/**
 * The events queue and its DLQ as serverless.yml has them: 1 MiB messages (ingest escapes bodies to ASCII,
 * which can grow them), a redrive after the same number of receives as the work queue.
 */
async function createEventsQueues(sqs: SQSClient, options: LocalStackOptions): Promise<EventsQueues> {
  const name = `${(options.queueName ?? 'tag-cleanup-local-work').replace(/-work$/, '')}-events`;
  const dlqUrl = await createQueue(sqs, `${name}-dlq`, { MessageRetentionPeriod: '1209600' });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createQueue(sqs, name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
    MaximumMessageSize: '1048576',
    MessageRetentionPeriod: '86400',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn };
}

function stackCredentials(accounts: LocalStackOptions['accounts']): LocalStack['credentials'] {
  const account = accounts?.[0];
  return {
    accessKeyId: account?.accessKeyId ?? EMULATOR_ACCESS_KEY_ID,
    accessKeySecret: account?.accessKeySecret ?? EMULATOR_ACCESS_KEY_SECRET,
  };
}

function stackEnv(stack: {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly maxMessageBytes: string;
  readonly emulator: RunningEmulator;
  readonly credentials: LocalStack['credentials'];
  readonly sqsEndpoint: string;
  readonly events: EventsQueues | undefined;
}): Record<string, string> {
  return {
    ...(stack.events && {
      TAG_CLEANUP_EVENTS_QUEUE_URL: stack.events.queueUrl,
      TAG_CLEANUP_EVENTS_DLQ_URL: stack.events.dlqUrl,
    }),
    TAG_CLEANUP_ECS_ENDPOINT: stack.emulator.url,
    TAG_CLEANUP_QUEUE_URL: stack.queueUrl,
    TAG_CLEANUP_DLQ_URL: stack.dlqUrl,
    TAG_CLEANUP_MAX_MESSAGE_BYTES: stack.maxMessageBytes,
    ALIBABA_CLOUD_ACCESS_KEY_ID: stack.credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: stack.credentials.accessKeySecret,
    AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint,
    AWS_REGION: 'us-east-1',
  };
}
