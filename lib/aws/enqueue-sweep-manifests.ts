import type { WireManifest } from '../core/manifest/wire.ts';
import type { QueueSender } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import { enqueueManifests } from './enqueue-manifests.ts';

/**
 * Sends a sweep's manifests to the work queue, split to fit, with one `sweep.manifest.enqueued` or
 * `sweep.manifest.failed` line each (the CLI's `sweep --enqueue` and the scheduled sweep Lambda alike).
 * Returns how many manifests were not wholly sent.
 */
export async function enqueueSweepManifests(
  manifests: readonly WireManifest[],
  target: { readonly queue: QueueSender; readonly queueUrl: string; readonly maxMessageBytes: number },
  logger: Logger,
): Promise<number> {
  const results = await enqueueManifests(manifests, target);
  let failed = 0;
  for (const result of results) {
    if (result.failures.length === 0) {
      logger.info(
        { event: 'sweep.manifest.enqueued', manifestId: result.manifestId, messageIds: result.messageIds },
        'sweep.manifest.enqueued',
      );
    } else {
      failed += 1;
      logger.error(
        { event: 'sweep.manifest.failed', manifestId: result.manifestId, failures: result.failures },
        'sweep.manifest.failed',
      );
    }
  }
  return failed;
}
