import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';

/**
 * Deletes records from the queue in batches of ten, as the event source mapping does after a success.
 * Returns the message ids deleted; each failure goes to `onError` and the rest carry on.
 */
export async function deleteRecords(
  sqs: SQSClient,
  queueUrl: string,
  records: readonly SQSRecord[],
  onError: (error: unknown) => void,
): Promise<string[]> {
  const deleted: string[] = [];
  for (let i = 0; i < records.length; i += 10) {
    const chunk = records.slice(i, i + 10);
    try {
      const out = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const ok of out.Successful ?? []) {
        const record = chunk[Number(ok.Id)];
        if (record) deleted.push(record.messageId);
      }
      for (const bad of out.Failed ?? []) onError(new Error(`${bad.Code ?? 'DeleteFailed'}: ${bad.Message ?? ''}`));
    } catch (error) {
      onError(error);
    }
  }
  return deleted;
}
