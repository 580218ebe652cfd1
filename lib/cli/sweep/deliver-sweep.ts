/** Writes a sweep's manifests as files (the queue: lib/aws/enqueue-sweep-manifests.ts). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WireManifest } from '../../core/manifest/wire.ts';
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
