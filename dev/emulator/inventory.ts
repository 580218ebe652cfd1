import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { ConfigError, messageOf } from '../../lib/core/errors.ts';
import { RESOURCE_TYPES, type ResourceType } from '../../lib/core/manifest/types.ts';

const tagEntrySchema = z.tuple([z.string().min(1).max(128), z.string().max(128)]);

// Validated as entries and rebuilt with Object.fromEntries: z.record would assign a `__proto__` key,
// which sets the prototype instead of adding a tag.
const tagMapSchema = z
  .custom<Record<string, unknown>>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'must be an object of tags',
  )
  .transform((v) => Object.entries(v))
  .pipe(z.array(tagEntrySchema))
  .transform((entries): Record<string, string> => Object.fromEntries(entries));

const resourceSchema = z.strictObject({
  regionId: z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must look like a region id, e.g. cn-hangzhou'),
  resourceType: z.enum(RESOURCE_TYPES),
  resourceId: z.string().min(1).max(128),
  tags: tagMapSchema,
  /** `false` makes RemoveTags answer `InvalidResourceId.NotSupported`. @default true */
  supported: z.boolean().optional(),
});

const inventorySchema = z.strictObject({ resources: z.array(resourceSchema) });

/** One resource of the emulator's inventory: where it lives and the tags it carries. */
export type InventoryResource = z.infer<typeof resourceSchema>;

/** The inventory file format (examples/inventory.json). */
export type InventoryFile = z.infer<typeof inventorySchema>;

/** Validates inventory data; throws a {@link ConfigError} listing every problem with its path. */
export function parseInventory(data: unknown, source = 'inventory'): InventoryFile {
  const result = inventorySchema.safeParse(data);
  if (!result.success) throw new ConfigError(`${source} is invalid:\n${z.prettifyError(result.error)}`);
  const seen = new Set<string>();
  for (const resource of result.data.resources) {
    const key = resourceKey(resource.regionId, resource.resourceType, resource.resourceId);
    if (seen.has(key)) {
      throw new ConfigError(
        `${source} is invalid: ${resource.resourceType} ${resource.resourceId} appears twice in ${resource.regionId}`,
      );
    }
    seen.add(key);
  }
  return result.data;
}

/** Reads and validates an inventory JSON file. */
export async function loadInventory(path: string | URL): Promise<InventoryFile> {
  const source = String(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read inventory ${source}: ${messageOf(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`inventory ${source} is not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  return parseInventory(data, `inventory ${source}`);
}

/** A tag named in a RemoveTags call; no `value` means "whatever its value". */
export interface TagToRemove {
  readonly key: string;
  readonly value?: string;
}

/** What {@link Inventory.lookup} found. */
export type LookupResult = 'found' | 'absent' | 'unsupported';

function resourceKey(regionId: string, resourceType: string, resourceId: string): string {
  // Resource ids are unique per region and type on ECS; a NUL cannot appear in any of the three.
  return `${regionId}\u0000${resourceType}\u0000${resourceId}`;
}

interface LiveResource {
  readonly regionId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly supported: boolean;
  readonly tags: Map<string, string>;
}

/** The emulator's mutable in-memory copy of an inventory; never aliases the data it was seeded from. */
export class Inventory {
  #resources = new Map<string, LiveResource>();
  #regions = new Set<string>();

  constructor(file: InventoryFile) {
    this.replace(file);
  }

  /** Drops every resource and seeds again from `file`. */
  replace(file: InventoryFile): void {
    this.#resources.clear();
    this.#regions.clear();
    for (const r of file.resources) {
      this.#regions.add(r.regionId);
      this.#resources.set(resourceKey(r.regionId, r.resourceType, r.resourceId), {
        regionId: r.regionId,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        supported: r.supported !== false,
        tags: new Map(Object.entries(r.tags)),
      });
    }
  }

  /** Regions that hold at least one resource. */
  regions(): ReadonlySet<string> {
    return this.#regions;
  }

  /** Whether RemoveTags may act on the resource. */
  lookup(regionId: string, resourceType: string, resourceId: string): LookupResult {
    const resource = this.#resources.get(resourceKey(regionId, resourceType, resourceId));
    if (!resource) return 'absent';
    return resource.supported ? 'found' : 'unsupported';
  }

  /**
   * Applies RemoveTags semantics: a key alone removes the tag whatever its value; a key with a value
   * removes it only when the value matches; a tag that is not there is ignored. Returns the removed keys.
   */
  removeTags(regionId: string, resourceType: string, resourceId: string, tags: readonly TagToRemove[]): string[] {
    const resource = this.#resources.get(resourceKey(regionId, resourceType, resourceId));
    if (!resource) return [];
    const removed: string[] = [];
    for (const tag of tags) {
      const current = resource.tags.get(tag.key);
      if (current === undefined) continue;
      if (tag.value !== undefined && tag.value !== current) continue;
      resource.tags.delete(tag.key);
      removed.push(tag.key);
    }
    return removed;
  }

  /** A copy of the resource's tags, or undefined when the resource does not exist. */
  getTags(regionId: string, resourceType: string, resourceId: string): Record<string, string> | undefined {
    const resource = this.#resources.get(resourceKey(regionId, resourceType, resourceId));
    return resource ? Object.fromEntries(resource.tags) : undefined;
  }

  /** The whole inventory in file format, safe to serialise or to seed another emulator with. */
  snapshot(): InventoryFile {
    return {
      resources: [...this.#resources.values()].map((r) => ({
        regionId: r.regionId,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        tags: Object.fromEntries(r.tags),
        ...(r.supported ? {} : { supported: false }),
      })),
    };
  }
}
