/** How a sweep names and marks the manifests it makes. */
import type { ManifestOrigin } from '../manifest/types.ts';
import type { WireManifest } from '../manifest/wire.ts';

/** The `origin` a sweep writes into each manifest, so every outcome line can be traced to a policy file. */
export type SweepOrigin = Extract<ManifestOrigin, { kind: 'sweep' }>;

/** A sweep's manifest on the wire. */
export type SweepManifest = WireManifest & { readonly origin: SweepOrigin };

/** `sweep-<policy>-<region>-<UTC yyyymmddThhmmssZ>[-<part>]`. */
export function sweepManifestId(policyName: string, regionId: string, startedAt: number, part?: number): string {
  const stamp = new Date(startedAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `sweep-${policyName}-${regionId}-${stamp}${part === undefined ? '' : `-${part}`}`;
}
