// Dev tooling only: fauxqs is a devDependency. Never import this from handlers/.
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

/** A running fauxqs SQS emulator. */
export interface LocalSqs {
  /** e.g. `http://127.0.0.1:41234`; give SQS clients this as their explicit endpoint. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts fauxqs on 127.0.0.1. fauxqs' own startFauxqs() binds 0.0.0.0; building the app and listening
 * ourselves keeps it on loopback.
 */
export async function startLocalSqs(options: { port?: number } = {}): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, port, close: () => app.close() };
}

/**
 * An SQS client for a local endpoint: explicit endpoint (fauxqs finds queues by their exact URL, so the
 * client must not derive the host from the queue URL), region us-east-1, dummy credentials.
 * @param maxAttempts SDK-level tries per call. @default 1, so retries happen in lib/aws/sqs-send.ts only
 */
export function localSqsClient(endpoint: string, maxAttempts = 1): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
}
