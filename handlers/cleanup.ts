// PLACEHOLDER: the lead replaces this with the real SQS adapter; it exists so `serverless package` has a handler to bundle.
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** Placeholder Lambda entry point: reports every record as processed. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  void event;
  void context;
  return { batchItemFailures: [] };
}
