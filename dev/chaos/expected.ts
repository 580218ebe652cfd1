// What a run must end with, computed from the workload alone.
import type { InventoryResource } from '../emulator/server.ts';
import type { ExpectedOutcome, Workload } from './workload-types.ts';

/** `regionId/resourceType/resourceId`, the pipeline's resource key. */
export function resourceKey(regionId: string, resourceType: string, resourceId: string): string {
  return `${regionId}/${resourceType}/${resourceId}`;
}

/** The identity of one (manifest, resource) pair. */
export function pairKey(manifestId: string, resource: string): string {
  return `${manifestId} ${resource}`;
}

/**
 * The emulator's state the run must end with: a tag goes iff its resource exists and supports tagging and
 * some valid entry names its key with no value or with its exact value.
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
