// The manifest side of a workload: entries built to end in a known outcome.
import { RESOURCE_TYPES } from '../../lib/core/manifest/types.ts';
import type { Dice } from './dice.ts';
import type { NewResourceId, PoolResource, ResourcePool } from './resource-pool.ts';
import { type ChaosEntry, type ChaosTag, type ExpectedOutcome, MAIN_REGION } from './workload-types.ts';

/** Shares of entries that must not end removed. */
export interface EntryShares {
  /** Naming a resource the inventory lacks. */
  readonly missingShare: number;
  /** Naming a resource that does not support tagging. */
  readonly unsupportedShare: number;
  /** Invalid on their own (reserved tag key). */
  readonly rejectedShare: number;
}

/** What entries are drawn from. */
export interface EntrySource {
  readonly dice: Dice;
  readonly pool: ResourcePool;
  readonly newId: NewResourceId;
  readonly maxTags: number;
  readonly shares: EntryShares;
}

/** `size` entries of one manifest; now and then the same resource twice in a row, which the planner merges. */
export function manifestEntries(source: EntrySource, size: number): ChaosEntry[] {
  const entries: ChaosEntry[] = [];
  for (let i = 0; i < size; i++) {
    const previous = entries[entries.length - 1];
    const roll = source.dice.next();
    const repeated =
      previous && previous.expected.outcome === 'removed' && source.dice.chance(0.03)
        ? repeatEntry(source, previous)
        : undefined;
    entries.push(repeated ?? entryForRoll(source, roll));
  }
  return entries;
}

/** The same resource again, with other tags. */
function repeatEntry(source: EntrySource, previous: ChaosEntry): ChaosEntry | undefined {
  const again = source.pool.supported.find(
    (r) => r.resourceId === previous.resourceId && r.resourceType === previous.resourceType,
  );
  return again && entryFor(source.dice, again, source.maxTags, { outcome: 'removed' });
}

/** An entry of the kind `roll` falls on: missing, unsupported, rejected or, mostly, removable. */
function entryForRoll(source: EntrySource, roll: number): ChaosEntry {
  const { dice, pool, newId, maxTags } = source;
  const { missingShare, unsupportedShare, rejectedShare } = source.shares;
  if (roll < missingShare) {
    const resourceType = dice.pick(RESOURCE_TYPES);
    return {
      regionId: MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, 'gone'),
      tags: absentTags(dice, maxTags),
      expected: { outcome: 'failed', code: 'InvalidResourceId.NotFound' },
    };
  }
  if (roll < missingShare + unsupportedShare) {
    const target = dice.pick(pool.unsupported);
    return entryFor(dice, target, maxTags, { outcome: 'failed', code: 'InvalidResourceId.NotSupported' });
  }
  if (roll < missingShare + unsupportedShare + rejectedShare) {
    // A resource of its own, so that its rejection cannot hold back another entry's resource.
    const resourceType = dice.pick(RESOURCE_TYPES);
    return {
      regionId: MAIN_REGION,
      resourceType,
      resourceId: newId(resourceType, 'rej'),
      tags: [{ key: 'aliyun:reserved' }, ...absentTags(dice, 3)],
      expected: { outcome: 'rejected' },
    };
  }
  return entryFor(dice, dice.pick(pool.supported), maxTags, { outcome: 'removed' });
}

/** Tags of a pool resource: by key, with its value, with another value, twice, or keys it does not carry. */
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
