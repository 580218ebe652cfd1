/** The three ways a sweep hands its manifests on besides running them: files, the queue, nothing (refused). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { enqueueManifests } from '../../aws/enqueue-manifests.ts';
import type { WireManifest } from '../../core/manifest/wire.ts';
import type { QueueSender } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';

/** Writes each manifest to `<dir>/<manifestId>.json` for review or a later `run`; returns how many failed. */
export async function writeManifestFiles(
  manifests: readonly WireManifest[],
  dir: string,
  logger: Logger,
): Promise<number> {
  let failed = 0;
  for (const manifest of manifests) {
    const path = join(dir, `${manifest.manifestId}.json`);
    try {
      await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
      logger.info(
        {
          event: 'sweep.manifest.written',
          manifestId: manifest.manifestId,
          path,
          resources: manifest.resources.length,
        },
        'sweep.manifest.written',
      );
    } catch (error) {
      failed += 1;
      const code = (error as NodeJS.ErrnoException).code ?? 'WriteError';
      logger.error(
        {
          event: 'sweep.manifest.failed',
          manifestId: manifest.manifestId,
          path,
          error: { code, message: String(error) },
        },
        'sweep.manifest.failed',
      );
    }
  }
  return failed;
}

/** Sends the manifests to the work queue, split to fit; returns how many manifests were not wholly sent. */
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
