// The inventory side of a workload: the resources manifests name, with the tags they start with.
import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';
import type { InventoryFile, InventoryResource } from '../emulator/server.ts';
import type { Dice } from './dice.ts';
import { MAIN_REGION, OTHER_REGION } from './workload-types.ts';

/** A resource the generator tracks, with its starting tags. */
export interface PoolResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly supported: boolean;
  readonly tags: Record<string, string>;
}

/** The resources of a workload: those that support tagging, and a few that do not. */
export interface ResourcePool {
  readonly supported: readonly PoolResource[];
  readonly unsupported: readonly PoolResource[];
}

/** Makes a new resource id of a type; `kind` marks what the id is for (`gone`, `rej`...). */
export type NewResourceId = (resourceType: ResourceType, kind: string) => string;

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

/** Ids unique within the workload, and apart from other seeds' ids. */
export function resourceIdMaker(seed: number): NewResourceId {
  let serial = 0;
  return (type, kind) => `${ID_PREFIX[type]}${kind}${seed.toString(36)}x${(serial++).toString(36)}`;
}

/** `size` supported resources, ten percent of them in the other region, and `unsupportedShare` of that unsupported. */
export function buildPool(
  dice: Dice,
  newId: NewResourceId,
  size: number,
  unsupportedShare: number,
  maxTags: number,
): ResourcePool {
  const supported: PoolResource[] = [];
  const unsupported: PoolResource[] = [];
  for (let i = 0; i < size; i++) {
    const resourceType = dice.pick(RESOURCE_TYPES);
    supported.push({
      regionId: dice.chance(0.1) ? OTHER_REGION : MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, ''),
      supported: true,
      tags: inventoryTags(dice, maxTags),
    });
  }
  for (let i = 0; i < Math.max(1, Math.ceil(size * unsupportedShare)); i++) {
    const resourceType = dice.pick(RESOURCE_TYPES);
    unsupported.push({
      regionId: MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, 'ns'),
      supported: false,
      tags: inventoryTags(dice, maxTags),
    });
  }
  return { supported, unsupported };
}

/** The emulator's starting inventory: a copy of every pool resource. */
export function inventoryOf(pool: ResourcePool): InventoryFile {
  return {
    resources: [...pool.supported, ...pool.unsupported].map(
      (r): InventoryResource => ({
        regionId: r.regionId,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        tags: { ...r.tags },
        ...(r.supported ? {} : { supported: false }),
      }),
    ),
  };
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
