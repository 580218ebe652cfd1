import { serializeManifest } from '../../lib/core/manifest/wire.ts';
import type { ChaosManifest } from './workload-types.ts';

/** The wire JSON of a manifest, as the CLI would write it; entries in the manifest's region omit `regionId`. */
export function manifestBody(manifest: ChaosManifest): string {
  const { manifestId, regionId, entries } = manifest;
  return JSON.stringify(serializeManifest({ manifestId, regionId, dryRun: false, resources: entries }));
}
