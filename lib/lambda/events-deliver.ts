/** Sends an event batch's manifests to the work queue, and says which targets were not handed on. */
import { enqueueManifests } from '../aws/enqueue-manifests.ts';
import type { PlannedEventManifest } from '../core/events/plan-event-manifests.ts';
import type { ResourceTarget } from '../core/events/resolve-batch.ts';
import { toErrorInfo } from '../core/outcome.ts';
import type { QueueSender } from '../core/ports.ts';
import type { Logger } from '../logger.ts';

/** Where the manifests go. */
export interface WorkQueueTarget {
  readonly queue: QueueSender;
  readonly queueUrl: string;
  readonly maxMessageBytes: number;
}

export interface Delivery {
  /** Manifests whose every part was sent. */
  readonly sent: number;
  /** Targets of the manifests that were not wholly sent: their records must be redelivered. */
  readonly failedTargets: readonly ResourceTarget[];
}

/**
 * Enqueues the manifests, split to fit, with one `event.manifest` line per manifest sent. A manifest not
 * wholly sent is logged as `event.manifest.failed`; resending its parts on redelivery is harmless, since
 * removal is idempotent.
 */
export async function deliverEventManifests(
  planned: readonly PlannedEventManifest[],
  target: WorkQueueTarget,
  log: Logger,
): Promise<Delivery> {
  if (planned.length === 0) return { sent: 0, failedTargets: [] };
  let results: Awaited<ReturnType<typeof enqueueManifests>>;
  try {
    results = await enqueueManifests(
      planned.map((p) => p.manifest),
      target,
    );
  } catch (error) {
    // Too large to split, or the sender itself broke: nothing can be told apart, so nothing counts as sent.
    log.error(
      {
        event: 'event.manifest.failed',
        manifestIds: planned.map((p) => p.manifest.manifestId),
        error: toErrorInfo(error),
      },
      'event.manifest.failed',
    );
    return { sent: 0, failedTargets: planned.flatMap((p) => p.targets) };
  }
  let sent = 0;
  const failedTargets: ResourceTarget[] = [];
  results.forEach((result, i) => {
    const { manifest, targets } = planned[i] as PlannedEventManifest;
    if (result.failures.length > 0) {
      failedTargets.push(...targets);
      log.error(
        { event: 'event.manifest.failed', manifestId: result.manifestId, failures: result.failures },
        'event.manifest.failed',
      );
      return;
    }
    sent += 1;
    log.info(
      {
        event: 'event.manifest',
        manifestId: manifest.manifestId,
        regionId: manifest.regionId,
        resources: manifest.resources.length,
        eventIds: manifest.origin.eventIds,
        messageIds: result.messageIds,
      },
      'event.manifest',
    );
  });
  return { sent, failedTargets };
}
