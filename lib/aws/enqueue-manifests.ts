import type { WireManifest } from '../core/manifest/wire.ts';
import type { QueueSender } from '../core/ports.ts';
import { sqsBody } from './sqs-body.ts';
import { splitWireManifest } from './sqs-split.ts';

/** Where a manifest went: the message ids of its parts, or why a part was not sent. */
export interface EnqueuedManifest {
  readonly manifestId: string;
  readonly messageIds: readonly string[];
  readonly failures: readonly { readonly part: number; readonly code: string; readonly message: string }[];
}

/**
 * Sends manifests to the work queue through the QueueSender port, each split into parts that fit the
 * queue's message size (as the Lambda splits its continuations), and reports per manifest what was sent.
 * Throws MessageTooLargeError, before anything is sent, when a manifest cannot be made to fit.
 */
export async function enqueueManifests(
  manifests: readonly WireManifest[],
  target: { readonly queue: QueueSender; readonly queueUrl: string; readonly maxMessageBytes: number },
): Promise<EnqueuedManifest[]> {
  const parts = manifests.map((m) => splitWireManifest(m, target.maxMessageBytes));
  const messages = parts.flatMap((list) => list.map((part) => ({ body: sqsBody(part) })));
  const result = await target.queue.send(target.queueUrl, messages);
  const sent = new Map(result.sent.map((s) => [s.index, s.messageId]));
  const failed = new Map(result.failed.map((f) => [f.index, f]));
  let index = 0;
  return manifests.map((manifest, m) => {
    const messageIds: string[] = [];
    const failures: { part: number; code: string; message: string }[] = [];
    for (let part = 1; part <= (parts[m]?.length ?? 0); part += 1, index += 1) {
      const id = sent.get(index);
      if (id !== undefined) messageIds.push(id);
      else {
        const why = failed.get(index);
        failures.push({
          part,
          code: why?.code ?? 'UnknownError',
          message: why?.message ?? 'no result for this message',
        });
      }
    }
    return { manifestId: manifest.manifestId, messageIds, failures };
  });
}
