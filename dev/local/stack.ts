// Dev tooling only: the whole cloud side on 127.0.0.1 for `npm run local` and end-to-end tests.
// Never import this from handlers/ (it pulls in fauxqs, a devDependency).
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_HEADROOM_BYTES } from '../../lib/aws/sqs-split.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../emulator/server.ts';
import { type Poller, type PollerOptions, startPoller } from './poller.ts';
import { queueArn } from './queue-arn.ts';
import { localSqsClient, startLocalSqs } from './sqs.ts';

export interface LocalStackOptions
  extends Pick<
    EmulatorOptions,
    'inventory' | 'accounts' | 'maxQps' | 'burst' | 'retryAfterMs' | 'faults' | 'seed' | 'logger'
  > {
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
  /** Stops the poller, the emulator and fauxqs, in that order. */
  close(): Promise<void>;
}

/** Starts fauxqs (work queue + DLQ with a redrive policy) and the ECS emulator on 127.0.0.1. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const maxMessageBytes = String(options.maxMessageBytes ?? 1_048_576 - ATTRIBUTE_HEADROOM_BYTES);
  const queueName = options.queueName ?? 'tag-cleanup-local-work';
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    // Reverse start order; keep going if one fails so nothing is left listening.
    for (const close of closers.reverse()) await close().catch(() => {});
  };

  try {
    const localSqs = await startLocalSqs(options.sqsPort === undefined ? {} : { port: options.sqsPort });
    closers.push(() => localSqs.close());
    const sqs = localSqsClient(localSqs.endpoint);
    closers.push(async () => sqs.destroy());

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
    const workArn = await queueArn(sqs, queueUrl);

    const emulator = await startEmulator({
      host: '127.0.0.1',
      port: options.emulatorPort ?? 0,
      inventory: options.inventory,
      ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
      ...(options.maxQps === undefined ? {} : { maxQps: options.maxQps }),
      ...(options.burst === undefined ? {} : { burst: options.burst }),
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    closers.push(() => emulator.close());

    const account = options.accounts?.[0];
    const credentials = {
      accessKeyId: account?.accessKeyId ?? EMULATOR_ACCESS_KEY_ID,
      accessKeySecret: account?.accessKeySecret ?? EMULATOR_ACCESS_KEY_SECRET,
    };
    const env: Record<string, string> = {
      TAG_CLEANUP_ECS_ENDPOINT: emulator.url,
      TAG_CLEANUP_QUEUE_URL: queueUrl,
      TAG_CLEANUP_DLQ_URL: dlqUrl,
      TAG_CLEANUP_MAX_MESSAGE_BYTES: maxMessageBytes,
      ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
      AWS_ENDPOINT_URL_SQS: localSqs.endpoint,
      AWS_REGION: 'us-east-1',
    };

    let poller: Poller | undefined;
    if (options.poller) {
      const started = startPoller({ ...options.poller, sqs, queueUrl });
      poller = started;
      closers.push(() => started.stop());
    }

    return {
      sqsEndpoint: localSqs.endpoint,
      sqs,
      queueUrl,
      queueArn: workArn,
      dlqUrl,
      dlqArn,
      emulator,
      credentials,
      env,
      ...(poller === undefined ? {} : { poller }),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return out.QueueUrl;
}
