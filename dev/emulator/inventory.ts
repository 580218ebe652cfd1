/**
 * The emulator's live inventory. System tags (`acs:…`, `aliyun…` keys) are kept and listed like any
 * tag, but RemoveTags never removes them. The choice: ECS documents that such keys cannot be named in a
 * tag call, so the emulator refuses a RemoveTags call naming one (`InvalidTagKey.Malformed`, see
 * remove-tags.ts) and, should one get through, {@link Inventory.removeTags} still leaves it in place.
 * A client that tries is told so instead of being led to believe the tag is gone.
 */
import { isSystemTagKey } from '../../lib/core/ecs-api.ts';
import type { ResourceType } from '../../lib/core/manifest/types.ts';
import type { InventoryFile } from './inventory-file.ts';

export type { InventoryFile, InventoryResource } from './inventory-file.ts';

/** A tag named in a RemoveTags call; no `value` means "whatever its value". */
export interface TagToRemove {
  readonly key: string;
  readonly value?: string;
}

/** What {@link Inventory.lookup} found. */
export type LookupResult = 'found' | 'absent' | 'unsupported';

/** One live resource, read-only to everything but the inventory. */
export interface StoredResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly supported: boolean;
  readonly tags: ReadonlyMap<string, string>;
}

interface LiveResource extends StoredResource {
  readonly tags: Map<string, string>;
}

/** The resources of one region and type, indexed for the list APIs. */
interface Partition {
  readonly byId: Map<string, LiveResource>;
  /** Resources carrying each tag key; kept current as tags are removed. */
  readonly byKey: Map<string, Set<LiveResource>>;
}

const NO_RESOURCES: ReadonlySet<StoredResource> = new Set();

/** The emulator's mutable in-memory copy of an inventory; never aliases the data it was seeded from. */
export class Inventory {
  #partitions = new Map<string, Partition>();
  #regions = new Set<string>();
  #version = 0;

  constructor(file: InventoryFile) {
    this.replace(file);
  }

  /** Drops every resource and seeds again from `file`. */
  replace(file: InventoryFile): void {
    this.#partitions.clear();
    this.#regions.clear();
    this.#version += 1;
    for (const r of file.resources) {
      this.#regions.add(r.regionId);
      const resource: LiveResource = {
        regionId: r.regionId,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        supported: r.supported !== false,
        tags: new Map(Object.entries(r.tags)),
      };
      const partition = this.#partition(r.regionId, r.resourceType, true);
      partition.byId.set(r.resourceId, resource);
      for (const key of resource.tags.keys()) indexKey(partition, key, resource);
    }
  }

  /** Changes whenever a tag is removed or the inventory replaced, so derived views know when to rebuild. */
  get version(): number {
    return this.#version;
  }

  /** Regions that hold at least one resource. */
  regions(): ReadonlySet<string> {
    return this.#regions;
  }

  /** Whether RemoveTags may act on the resource. */
  lookup(regionId: string, resourceType: string, resourceId: string): LookupResult {
    const resource = this.find(regionId, resourceType, resourceId);
    if (!resource) return 'absent';
    return resource.supported ? 'found' : 'unsupported';
  }

  /** The resource, or undefined when it does not exist. */
  find(regionId: string, resourceType: string, resourceId: string): StoredResource | undefined {
    return this.#partition(regionId, resourceType, false)?.byId.get(resourceId);
  }

  /** The resources of a region, of one type or of every type, in no particular order. */
  *resourcesIn(regionId: string, resourceType?: string): Iterable<StoredResource> {
    for (const [name, partition] of this.#partitions) {
      const [region, type] = name.split('\u0000');
      if (region === regionId && (resourceType === undefined || type === resourceType)) yield* partition.byId.values();
    }
  }

  /** The resources of a region and type that carry `key`; a live view, so copy it before removing tags. */
  withKey(regionId: string, resourceType: string, key: string): ReadonlySet<StoredResource> {
    return this.#partition(regionId, resourceType, false)?.byKey.get(key) ?? NO_RESOURCES;
  }

  /**
   * Applies RemoveTags semantics: a key alone removes the tag whatever its value; a key with a value
   * removes it only when the value matches; a tag that is not there is ignored, and so is a system tag.
   * Returns the removed keys.
   */
  removeTags(regionId: string, resourceType: string, resourceId: string, tags: readonly TagToRemove[]): string[] {
    const partition = this.#partition(regionId, resourceType, false);
    const resource = partition?.byId.get(resourceId);
    if (!partition || !resource) return [];
    const removed: string[] = [];
    for (const tag of tags) {
      const current = resource.tags.get(tag.key);
      if (current === undefined || isSystemTagKey(tag.key)) continue;
      if (tag.value !== undefined && tag.value !== current) continue;
      resource.tags.delete(tag.key);
      partition.byKey.get(tag.key)?.delete(resource);
      removed.push(tag.key);
    }
    if (removed.length > 0) this.#version += 1;
    return removed;
  }

  /** A copy of the resource's tags, or undefined when the resource does not exist. */
  getTags(regionId: string, resourceType: string, resourceId: string): Record<string, string> | undefined {
    const resource = this.find(regionId, resourceType, resourceId);
    return resource ? Object.fromEntries(resource.tags) : undefined;
  }

  /** The whole inventory in file format, safe to serialise or to seed another emulator with. */
  snapshot(): InventoryFile {
    const resources: InventoryFile['resources'] = [];
    for (const partition of this.#partitions.values()) {
      for (const r of partition.byId.values()) {
        resources.push({
          regionId: r.regionId,
          resourceType: r.resourceType,
          resourceId: r.resourceId,
          tags: Object.fromEntries(r.tags),
          ...(r.supported ? {} : { supported: false }),
        });
      }
    }
    return { resources };
  }

  #partition(regionId: string, resourceType: string, create: true): Partition;
  #partition(regionId: string, resourceType: string, create: false): Partition | undefined;
  #partition(regionId: string, resourceType: string, create: boolean): Partition | undefined {
    // A NUL cannot appear in a region id or a resource type.
    const name = `${regionId}\u0000${resourceType}`;
    let partition = this.#partitions.get(name);
    if (!partition && create) {
      partition = { byId: new Map(), byKey: new Map() };
      this.#partitions.set(name, partition);
    }
    return partition;
  }
}

function indexKey(partition: Partition, key: string, resource: LiveResource): void {
  let holders = partition.byKey.get(key);
  if (!holders) {
    holders = new Set();
    partition.byKey.set(key, holders);
  }
  holders.add(resource);
}
