import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../core/errors.ts';

/** What building an SQS client needs from the configuration. */
export interface SqsClientSettings {
  /** AWS_ENDPOINT_URL(_SQS) is set: send to that endpoint, not to the queue URL's host. */
  readonly sqsEndpointOverridden: boolean;
  /** AWS_REGION or AWS_DEFAULT_REGION. */
  readonly awsRegion?: string;
}

/** The region in an SQS queue URL (`https://sqs.<region>.amazonaws.com/...`), if it names one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  const host = URL.canParse(queueUrl) ? new URL(queueUrl).hostname : '';
  return /^sqs\.([a-z]{2}(?:-[a-z0-9]+)+)\./.exec(host)?.[1];
}

/**
 * The project's SQS client: SDK retries off (they live in one layer, lib/aws/sqs-send.ts), the region from
 * the environment or the queue URL (a missing one is a ConfigError, not a failed send), and each distinct
 * SDK warning printed once, not once per call.
 */
export function createSqsClient(settings: SqsClientSettings, queueUrl?: string): SQSClient {
  const region = settings.awsRegion ?? (queueUrl === undefined ? undefined : regionOfQueueUrl(queueUrl));
  if (region === undefined) {
    throw new ConfigError('no AWS region: set AWS_REGION (or use a queue URL that names its region)');
  }
  const warned = new Set<string>();
  const warnOnce = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (warned.has(text)) return;
    warned.add(text);
    process.stderr.write(`${text}\n`);
  };
  return new SQSClient({
    region,
    maxAttempts: 1,
    useQueueUrlAsEndpoint: !settings.sqsEndpointOverridden,
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: warnOnce, error: warnOnce },
  });
}
