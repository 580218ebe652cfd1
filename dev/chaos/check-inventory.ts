import type { InventoryFile } from '../emulator/server.ts';
import { expectedInventory, resourceKey } from './expected.ts';
import type { Workload } from './workload-types.ts';

/** The emulator's final state against the expected one, tag by tag. */
export interface InventoryCheck {
  /** Removable tags still present, as `key "tag"`. */
  readonly left: readonly string[];
  /** Tags changed that should not have been: removed, changed, gained, or a resource gone. */
  readonly wrong: readonly string[];
  /** Starting tags that the manifests remove. */
  readonly removableTags: number;
  /** Starting tags that are gone. */
  readonly tagsRemoved: number;
}

/** Compares the final inventory with what the workload alone says it must be. */
export function checkInventory(workload: Workload, finalInventory: InventoryFile): InventoryCheck {
  const expected = expectedInventory(workload);
  const initial = tagsByResource(workload.inventory);
  const final = tagsByResource(finalInventory);
  const left: string[] = [];
  const wrong: string[] = [];
  let removableTags = 0;
  let tagsRemoved = 0;
  for (const [key, want] of expected) {
    const start = initial.get(key) ?? {};
    const got = final.get(key);
    if (!got) {
      wrong.push(`${key} vanished`);
      continue;
    }
    for (const tag of Object.keys(start)) {
      const shouldStay = Object.hasOwn(want, tag);
      const stayed = Object.hasOwn(got, tag);
      if (!shouldStay) removableTags++;
      if (!stayed) tagsRemoved++;
      if (!shouldStay && stayed) left.push(`${key} ${JSON.stringify(tag)}`);
      if (shouldStay && (!stayed || got[tag] !== start[tag])) wrong.push(`${key} ${JSON.stringify(tag)}`);
    }
    for (const tag of Object.keys(got))
      if (!Object.hasOwn(start, tag)) wrong.push(`${key} gained ${JSON.stringify(tag)}`);
  }
  return { left, wrong, removableTags, tagsRemoved };
}

function tagsByResource(inventory: InventoryFile): Map<string, Readonly<Record<string, string>>> {
  return new Map(inventory.resources.map((r) => [resourceKey(r.regionId, r.resourceType, r.resourceId), r.tags]));
}
