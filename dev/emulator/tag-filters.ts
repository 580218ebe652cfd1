import { ecsError, type OrEcsError } from './ecs-error.ts';
import type { StoredResource } from './inventory.ts';
import type { CallParams } from './read-params.ts';
import { readTagParams } from './tag-params.ts';

/** One `Tag.N` filter of a list call: a key, and a value unless any value will do. */
export interface TagFilter {
  readonly key: string;
  readonly value?: string;
}

/** The list APIs accept `Tag.1` to `Tag.20` (ECS API metadata for DescribeTags and ListTagResources). */
export const MAX_TAG_FILTERS = 20;

/**
 * Reads the `Tag.N.Key` / `Tag.N.Value` parameters of a list call, in N order. A value without its key
 * is `InvalidParameter.TagValue`, as ECS answers it.
 */
export function parseTagFilters(params: CallParams): OrEcsError<{ readonly filters: TagFilter[] }> {
  const read = readTagParams(params, MAX_TAG_FILTERS);
  if ('error' in read) return read;
  const filters: TagFilter[] = [];
  for (const { index, key, value } of read.tags) {
    if (key === undefined) {
      const message = `Tag.${index}.Value is given without Tag.${index}.Key.`;
      return { error: ecsError('InvalidParameter.TagValue', 400, message) };
    }
    if (key === '') {
      return { error: ecsError('InvalidTagKey.Malformed', 400, `The specified Tag.${index}.Key is not valid.`) };
    }
    filters.push(value === undefined ? { key } : { key, value });
  }
  return { filters };
}

/** Whether a tag (key and value) satisfies one filter. */
export function tagMatches(filter: TagFilter, key: string, value: string): boolean {
  return filter.key === key && (filter.value === undefined || filter.value === value);
}

/** Whether a resource satisfies every filter (they are ANDed): it carries each key, with the value if one is given. */
export function resourceMatchesAll(resource: StoredResource, filters: readonly TagFilter[]): boolean {
  return filters.every((f) => {
    const value = resource.tags.get(f.key);
    return value !== undefined && (f.value === undefined || f.value === value);
  });
}
