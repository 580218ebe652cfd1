import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Creates a queue (or finds it, as SQS does for the same name and attributes) and returns its URL. */
export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return out.QueueUrl;
}
