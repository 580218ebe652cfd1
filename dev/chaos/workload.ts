import { Dice } from './dice.ts';
import { manifestEntries } from './manifest-entries.ts';
import { poisonMessages } from './poison-messages.ts';
import { buildPool, inventoryOf, resourceIdMaker } from './resource-pool.ts';
import { type ChaosManifest, MAIN_REGION, type Workload } from './workload-types.ts';

/** Sizes of a workload; the defaults are the (200 manifests, 1–200 resources, 1–23 tags). */
export interface WorkloadOptions {
  /** @default 200 */
  readonly manifests?: number;
  /** @default 200 */
  readonly maxResourcesPerManifest?: number;
  /** @default 23 */
  readonly maxTagsPerResource?: number;
  /** Share of entries naming a resource the inventory lacks. @default 0.03 */
  readonly missingShare?: number;
  /** Share of entries naming a resource that does not support tagging. @default 0.02 */
  readonly unsupportedShare?: number;
  /** Share of entries that are invalid on their own (reserved tag key). @default 0.005 */
  readonly rejectedShare?: number;
}

/**
 * Builds a seeded workload and the emulator inventory that matches it: resources shared between manifests
 * and repeated inside one, tags listed twice, values that match and values that do not, keys the resource
 * does not carry, missing and unsupported resources, a few invalid entries, and poison messages.
 */
export function buildWorkload(seed: number, options: WorkloadOptions = {}): Workload {
  const dice = new Dice(seed);
  const maxTags = options.maxTagsPerResource ?? 23;
  const shares = {
    missingShare: options.missingShare ?? 0.03,
    unsupportedShare: options.unsupportedShare ?? 0.02,
    rejectedShare: options.rejectedShare ?? 0.005,
  };
  const sizes = manifestSizes(dice, options.manifests ?? 200, options.maxResourcesPerManifest ?? 200);
  const references = sizes.reduce((a, b) => a + b, 0);
  // A pool smaller than the references, so that manifests share resources.
  const poolSize = Math.max(4, Math.ceil(references * 0.7));
  const newId = resourceIdMaker(seed);
  const pool = buildPool(dice, newId, poolSize, shares.unsupportedShare, maxTags);
  const source = { dice, pool, newId, maxTags, shares };
  const manifests = sizes.map(
    (size, m): ChaosManifest => ({
      manifestId: `chaos-${seed}-${String(m).padStart(3, '0')}`,
      // Each manifest shares one region default; entries in the other region override it.
      regionId: MAIN_REGION,
      entries: manifestEntries(source, size),
    }),
  );
  return { seed, manifests, inventory: inventoryOf(pool), poison: poisonMessages(seed) };
}

/** Resource counts spread over the whole range, with both ends present. */
function manifestSizes(dice: Dice, count: number, maxResources: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? 1 : i === 1 ? maxResources : dice.int(1, maxResources)));
}
