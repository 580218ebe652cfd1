import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Reads a queue's ARN (GetQueueAttributes QueueArn); throws when the queue reports none. */
export async function queueArn(sqs: SQSClient, queueUrl: string, signal?: AbortSignal): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    signal === undefined ? {} : { abortSignal: signal },
  );
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return arn;
}
