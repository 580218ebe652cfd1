import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Options of {@link receiveAll}. */
export interface ReceiveAllOptions {
  /** Leave the messages on the queue (they come back after the visibility timeout). @default false */
  readonly keep?: boolean;
  /** Stop after this many receives even if the queue still answers. @default 1000 */
  readonly maxReceives?: number;
}

/**
 * Receives until the queue answers with nothing (short polls, all attributes), deleting each batch
 * unless `keep` is set; returns every message received, in order.
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveAllOptions = {},
): Promise<Message[]> {
  const all: Message[] = [];
  for (let i = 0; i < (options.maxReceives ?? 1000); i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) break;
    all.push(...batch);
    if (options.keep) continue;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return all;
}
