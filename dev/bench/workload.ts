import { parseManifest } from '../../lib/core/manifest/parse.ts';
import type { Manifest } from '../../lib/core/manifest/types.ts';
import type { InventoryResource } from '../emulator/server.ts';

/** Tags per resource in every server scenario: 12 tags make three RemoveTags calls (5, 5, 2). */
export const TAGS_PER_RESOURCE = 12;

/** Calls one resource of {@link TAGS_PER_RESOURCE} tags needs at five tags per call. */
export const CALLS_PER_RESOURCE = Math.ceil(TAGS_PER_RESOURCE / 5);

const REGION_ID = 'cn-hangzhou';

/** The same work on both sides: the emulator's inventory and the manifest that clears it. */
export interface Workload {
  readonly inventory: InventoryResource[];
  readonly manifest: Manifest;
  /** Planned RemoveTags calls. */
  readonly calls: number;
}

/** The id of resource `index` of the workload named `prefix` (a fleet worker gets its own prefix). */
export function resourceId(prefix: string, index: number): string {
  return `d-${prefix}${index.toString().padStart(6, '0')}`;
}

/** `resources` disks with {@link TAGS_PER_RESOURCE} tags each, and a manifest removing every tag. */
export function buildWorkload(prefix: string, resources: number): Workload {
  const tagKeys = Array.from({ length: TAGS_PER_RESOURCE }, (_, i) => `k${i}`);
  const inventory: InventoryResource[] = [];
  const entries: unknown[] = [];
  for (let i = 0; i < resources; i++) {
    const id = resourceId(prefix, i);
    inventory.push({
      regionId: REGION_ID,
      resourceType: 'disk',
      resourceId: id,
      tags: Object.fromEntries(tagKeys.map((k) => [k, `v-${k}`])),
    });
    entries.push({ resourceType: 'disk', resourceId: id, tags: tagKeys.map((key) => ({ key })) });
  }
  const manifest = parseManifest(
    { version: 1, manifestId: `bench-${prefix}`, regionId: REGION_ID, resources: entries },
    { maxResources: Math.max(resources, 1) },
  );
  return { inventory, manifest, calls: resources * CALLS_PER_RESOURCE };
}
