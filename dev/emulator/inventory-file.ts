/**
 * The emulator's inventory file (examples/inventory.json): resources by region, type and id, with their
 * tags. System tags (`acs:…`, `aliyun…` keys) may appear: the list APIs show them like any tag, and
 * RemoveTags never removes them (see inventory.ts).
 */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { ConfigError, messageOf } from '../../lib/core/errors.ts';
import { RESOURCE_TYPES } from '../../lib/core/manifest/types.ts';

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
    // Resource ids are unique per region and type on ECS; a NUL cannot appear in any of the three.
    const key = `${resource.regionId}\u0000${resource.resourceType}\u0000${resource.resourceId}`;
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
