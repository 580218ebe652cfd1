import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';
import { mulberry32 } from '../emulator/faults.ts';
import type { InventoryFile, InventoryResource } from '../emulator/server.ts';

/** A tag to remove, as written in a manifest. */
export interface ChaosTag {
  readonly key: string;
  readonly value?: string;
}

/** What the run must end with for one (manifest, resource) pair. */
export type ExpectedOutcome =
  | { readonly outcome: 'removed' }
  | { readonly outcome: 'failed'; readonly code: 'InvalidResourceId.NotFound' | 'InvalidResourceId.NotSupported' }
  | { readonly outcome: 'rejected' };

/** One manifest entry and the outcome the generator built it to have. */
export interface ChaosEntry {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly tags: readonly ChaosTag[];
  readonly expected: ExpectedOutcome;
}

/** One generated manifest. */
export interface ChaosManifest {
  readonly manifestId: string;
  readonly regionId: string;
  readonly entries: readonly ChaosEntry[];
}

/** A body that must end in the DLQ with reason `InvalidManifest`. */
export interface PoisonMessage {
  readonly label: string;
  readonly body: string;
}

/** Everything one chaos run sends and the inventory the emulator starts with. */
export interface Workload {
  readonly seed: number;
  readonly manifests: readonly ChaosManifest[];
  readonly inventory: InventoryFile;
  readonly poison: readonly PoisonMessage[];
}

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

const MAIN_REGION = 'cn-hangzhou';
const OTHER_REGION = 'cn-shanghai';
const ID_PREFIX: Readonly<Record<ResourceType, string>> = {
  disk: 'd-',
  instance: 'i-',
  image: 'm-',
  snapshot: 's-',
  securitygroup: 'sg-',
};
// Keys that exercise signing and the planner: unicode, inner and outer whitespace, reserved-looking JS names,
// and characters percent-encoding must change.
// '__proto__' is named in manifests but never put in the inventory: the emulator's loader drops that key.
// No characters beyond U+FFFF: fauxqs refuses them in message bodies (real SQS accepts them).
const ODD_KEYS = ['成本中心', 'team name', ' lead ', 'straße-ü', 'a=b&c', 'constructor', 'cost*center'];
const ODD_VALUES = ['R&D 50%', 'é', '', '東京', 'x+y=z', ' spaced '];

/** A source of seeded choices. */
class Dice {
  readonly #random: () => number;
  constructor(seed: number) {
    this.#random = mulberry32(seed);
  }
  next(): number {
    return this.#random();
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#random() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.#random() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}

/** The inventory-side resource the generator tracks, with its starting tags. */
interface PoolResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly supported: boolean;
  readonly tags: Record<string, string>;
}

/**
 * Builds a seeded workload and the emulator inventory that matches it: resources shared between manifests
 * and repeated inside one, tags listed twice, values that match and values that do not, keys the resource
 * does not carry, missing and unsupported resources, a few invalid entries, and poison messages.
 */
export function buildWorkload(seed: number, options: WorkloadOptions = {}): Workload {
  const dice = new Dice(seed);
  const manifestCount = options.manifests ?? 200;
  const maxResources = options.maxResourcesPerManifest ?? 200;
  const maxTags = options.maxTagsPerResource ?? 23;
  const missingShare = options.missingShare ?? 0.03;
  const unsupportedShare = options.unsupportedShare ?? 0.02;
  const rejectedShare = options.rejectedShare ?? 0.005;

  // Resource counts spread over the whole range, with both ends present.
  const sizes = Array.from({ length: manifestCount }, (_, i) =>
    i === 0 ? 1 : i === 1 ? maxResources : dice.int(1, maxResources),
  );
  const references = sizes.reduce((a, b) => a + b, 0);
  // A pool smaller than the references, so that manifests share resources.
  const poolSize = Math.max(4, Math.ceil(references * 0.7));
  const pool: PoolResource[] = [];
  const unsupported: PoolResource[] = [];
  let serial = 0;
  const newId = (type: ResourceType, kind: string) =>
    `${ID_PREFIX[type]}${kind}${seed.toString(36)}x${(serial++).toString(36)}`;
  for (let i = 0; i < poolSize; i++) {
    const resourceType = dice.pick(RESOURCE_TYPES);
    pool.push({
      regionId: dice.chance(0.1) ? OTHER_REGION : MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, ''),
      supported: true,
      tags: inventoryTags(dice, maxTags),
    });
  }
  for (let i = 0; i < Math.max(1, Math.ceil(poolSize * unsupportedShare)); i++) {
    const resourceType = dice.pick(RESOURCE_TYPES);
    unsupported.push({
      regionId: MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, 'ns'),
      supported: false,
      tags: inventoryTags(dice, maxTags),
    });
  }

  const manifests: ChaosManifest[] = sizes.map((size, m) => {
    const manifestId = `chaos-${seed}-${String(m).padStart(3, '0')}`;
    const entries: ChaosEntry[] = [];
    for (let i = 0; i < size; i++) {
      const previous = entries[entries.length - 1];
      const roll = dice.next();
      if (previous && previous.expected.outcome === 'removed' && dice.chance(0.03)) {
        // The same resource again in this manifest, with other tags: the planner merges the two.
        const again = pool.find(
          (r) => r.resourceId === previous.resourceId && r.resourceType === previous.resourceType,
        );
        if (again) {
          entries.push(entryFor(dice, again, maxTags, { outcome: 'removed' }));
          continue;
        }
      }
      if (roll < missingShare) {
        const resourceType = dice.pick(RESOURCE_TYPES);
        entries.push({
          regionId: MAIN_REGION,
          resourceType,
          resourceId: newId(resourceType, 'gone'),
          tags: absentTags(dice, maxTags),
          expected: { outcome: 'failed', code: 'InvalidResourceId.NotFound' },
        });
      } else if (roll < missingShare + unsupportedShare) {
        const target = dice.pick(unsupported);
        entries.push(entryFor(dice, target, maxTags, { outcome: 'failed', code: 'InvalidResourceId.NotSupported' }));
      } else if (roll < missingShare + unsupportedShare + rejectedShare) {
        // A resource of its own, so that its rejection cannot hold back another entry's resource.
        const resourceType = dice.pick(RESOURCE_TYPES);
        entries.push({
          regionId: MAIN_REGION,
          resourceType,
          resourceId: newId(resourceType, 'rej'),
          tags: [{ key: 'aliyun:reserved' }, ...absentTags(dice, 3)],
          expected: { outcome: 'rejected' },
        });
      } else {
        entries.push(entryFor(dice, dice.pick(pool), maxTags, { outcome: 'removed' }));
      }
    }
    // Each manifest shares one region default; entries in the other region override it.
    return { manifestId, regionId: MAIN_REGION, entries };
  });

  const inventory: InventoryFile = {
    resources: [...pool, ...unsupported].map(
      (r): InventoryResource => ({
        regionId: r.regionId,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        tags: { ...r.tags },
        ...(r.supported ? {} : { supported: false }),
      }),
    ),
  };
  return { seed, manifests, inventory, poison: poisonMessages(seed) };
}

function inventoryTags(dice: Dice, maxTags: number): Record<string, string> {
  const tags: Record<string, string> = {};
  const count = dice.int(2, maxTags + 4);
  for (let i = 0; i < count; i++) tags[`k${i}`] = `v${dice.int(0, 9)}`;
  if (dice.chance(0.15)) tags[dice.pick(ODD_KEYS)] = dice.pick(ODD_VALUES);
  // Tags no manifest names: they must survive.
  tags.keep = 'yes';
  return tags;
}

function entryFor(dice: Dice, resource: PoolResource, maxTags: number, expected: ExpectedOutcome): ChaosEntry {
  const keys = Object.keys(resource.tags).filter((k) => k !== 'keep');
  const count = dice.int(1, maxTags);
  const tags: ChaosTag[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys.length > 0 ? dice.pick(keys) : 'k0';
    const value = resource.tags[key];
    const roll = dice.next();
    const previous = tags[tags.length - 1];
    if (previous && roll < 0.08)
      tags.push(previous); // the same tag twice
    else if (roll < 0.4 || value === undefined) tags.push({ key });
    else if (roll < 0.7) tags.push({ key, value });
    else if (roll < 0.88) tags.push({ key, value: `${value}-other` });
    else tags.push({ key: dice.chance(0.1) ? '__proto__' : `absent-${dice.int(0, 30)}` });
  }
  return {
    regionId: resource.regionId,
    resourceType: resource.resourceType,
    resourceId: resource.resourceId,
    tags,
    expected,
  };
}

function absentTags(dice: Dice, maxTags: number): ChaosTag[] {
  return Array.from({ length: dice.int(1, maxTags) }, (_, i) =>
    i % 2 === 0 ? { key: `k${i}` } : { key: `k${i}`, value: 'v1' },
  );
}

function poisonMessages(seed: number): PoisonMessage[] {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  return [
    { label: 'not JSON', body: `this is not json {seed ${seed}` },
    {
      label: 'unknown version',
      body: JSON.stringify({ version: 2, manifestId: `future-${seed}`, regionId: MAIN_REGION, resources: [] }),
    },
    { label: 'no resources', body: JSON.stringify({ version: 1, manifestId: `nores-${seed}`, regionId: MAIN_REGION }) },
    { label: 'nested 10 000 deep', body: deep },
    { label: 'a JSON array', body: `[1, 2, ${seed}]` },
    { label: '__proto__ only', body: `{"__proto__": {"version": 1}, "seed": ${seed}}` },
  ];
}

/** The wire JSON of a manifest; entries in the manifest's region omit `regionId`. */
export function manifestBody(manifest: ChaosManifest): string {
  return JSON.stringify({
    version: 1,
    manifestId: manifest.manifestId,
    regionId: manifest.regionId,
    resources: manifest.entries.map((e) => ({
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      ...(e.regionId === manifest.regionId ? {} : { regionId: e.regionId }),
      tags: e.tags.map((t) => (t.value === undefined ? { key: t.key } : { key: t.key, value: t.value })),
    })),
  });
}

/** `regionId/resourceType/resourceId`, the pipeline's resource key. */
export function resourceKey(regionId: string, resourceType: string, resourceId: string): string {
  return `${regionId}/${resourceType}/${resourceId}`;
}

/**
 * The emulator's state the run must end with, computed from the workload alone: a tag goes iff its resource
 * exists and supports tagging and some valid entry names its key with no value or with its exact value.
 */
export function expectedInventory(workload: Workload): Map<string, Record<string, string>> {
  const state = new Map<string, Record<string, string>>();
  const initial = new Map<string, InventoryResource>();
  for (const r of workload.inventory.resources) {
    const key = resourceKey(r.regionId, r.resourceType, r.resourceId);
    initial.set(key, r);
    state.set(key, { ...r.tags });
  }
  for (const manifest of workload.manifests) {
    for (const entry of manifest.entries) {
      if (entry.expected.outcome !== 'removed') continue;
      const key = resourceKey(entry.regionId, entry.resourceType, entry.resourceId);
      const start = initial.get(key);
      const now = state.get(key);
      if (!start || !now || start.supported === false) continue;
      for (const tag of entry.tags) {
        if (!Object.hasOwn(start.tags, tag.key)) continue;
        if (tag.value === undefined || start.tags[tag.key] === tag.value) delete now[tag.key];
      }
    }
  }
  return state;
}

/** Every (manifest, resource) pair of the workload and the outcome it must end with. */
export function expectedPairs(workload: Workload): Map<string, ExpectedOutcome> {
  const pairs = new Map<string, ExpectedOutcome>();
  for (const manifest of workload.manifests) {
    for (const entry of manifest.entries) {
      pairs.set(
        pairKey(manifest.manifestId, resourceKey(entry.regionId, entry.resourceType, entry.resourceId)),
        entry.expected,
      );
    }
  }
  return pairs;
}

/** The identity of one (manifest, resource) pair. */
export function pairKey(manifestId: string, resource: string): string {
  return `${manifestId} ${resource}`;
}
