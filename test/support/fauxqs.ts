import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { createQueue } from '../../dev/local/create-queue.ts';
import { queueArn } from '../../dev/local/queue-arn.ts';
import { queueDepth } from '../../dev/local/queue-depth.ts';
import { receiveAll } from '../../dev/local/receive-all.ts';
import { localSqsClient, startLocalSqs } from '../../dev/local/sqs.ts';

export { localSqsClient } from '../../dev/local/sqs.ts';
// The SQS tests' names for the one fault proxy the chaos harness uses too.
export {
  type SqsProxyDecision as FaultDecision,
  startSqsFaultProxy as startFaultProxy,
} from '../../dev/local/sqs-fault-proxy.ts';

// The SDK warns about Node 20 at client construction; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** A running fauxqs SQS emulator bound to 127.0.0.1, and a client for it. */
export interface Fauxqs {
  readonly endpoint: string;
  /** Client with an explicit endpoint (fauxqs finds queues by exact URL) and the SDK's retries off. */
  readonly sqs: SQSClient;
  /** Builds another client for this endpoint, e.g. with different retry settings. */
  client(options?: { maxAttempts?: number; endpoint?: string }): SQSClient;
  createQueue(name: string, attributes?: Record<string, string>): Promise<string>;
  /** A work queue whose messages move to a fresh DLQ after `maxReceiveCount` receives. */
  createQueuePair(
    name: string,
    options?: { maxReceiveCount?: number; attributes?: Record<string, string> },
  ): Promise<{ queueUrl: string; dlqUrl: string; queueArn: string; dlqArn: string }>;
  /** Receives until the queue returns nothing, deleting each message unless `keep` is set. */
  receiveAll(queueUrl: string, options?: { keep?: boolean }): Promise<Message[]>;
  /** Visible, in-flight and delayed counts, as GetQueueAttributes reports them. */
  counts(queueUrl: string): Promise<{ visible: number; notVisible: number; delayed: number }>;
  close(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 on a free port. Close it in `afterAll`. */
export async function startFauxqs(): Promise<Fauxqs> {
  const server = await startLocalSqs();
  const { endpoint } = server;
  const clients: SQSClient[] = [];
  const client = (options: { maxAttempts?: number; endpoint?: string } = {}) => {
    const c = localSqsClient(options.endpoint ?? endpoint, options.maxAttempts ?? 1);
    clients.push(c);
    return c;
  };
  const sqs = client();

  const create = (name: string, attributes: Record<string, string> = {}) => createQueue(sqs, name, attributes);

  return {
    endpoint,
    sqs,
    client,
    createQueue: create,
    async createQueuePair(name, options = {}) {
      const dlqUrl = await create(`${name}-dlq`);
      const dlqArn = await queueArn(sqs, dlqUrl);
      const queueUrl = await create(name, {
        ...options.attributes,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
      });
      return { queueUrl, dlqUrl, queueArn: await queueArn(sqs, queueUrl), dlqArn };
    },
    receiveAll: (queueUrl, options = {}) => receiveAll(sqs, queueUrl, options),
    counts: (queueUrl) => queueDepth(sqs, queueUrl),

    async close() {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}

/** A loopback URL nothing listens on: bind a port, then free it. */
export async function deadEndpoint(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
