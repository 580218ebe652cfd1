/** Before → after text for the demo: one resource per block, its tags on one line each. */
import type { InventoryFile } from '../emulator/server.ts';

/** A resource to show, by `region/type/id`, with an optional note after its name. */
export interface ShownResource {
  readonly key: string;
  readonly note?: string;
}

/** The key {@link renderTagChanges} knows a resource by. */
export function resourceKey(r: {
  readonly regionId?: string | undefined;
  readonly resourceType?: string | undefined;
  readonly resourceId?: string | undefined;
}): string {
  // An outcome line of a rejected entry may lack a field; its key then matches no resource.
  return `${r.regionId ?? ''}/${r.resourceType ?? ''}/${r.resourceId ?? ''}`;
}

/** The `shown` resources of `before`, in inventory order, with their tags before and after. */
export function renderTagChanges(before: InventoryFile, after: InventoryFile, shown: readonly ShownResource[]): string {
  const afterByKey = new Map(after.resources.map((r) => [resourceKey(r), r.tags]));
  const notes = new Map(shown.map((s) => [s.key, s.note]));
  const lines: string[] = [];
  for (const r of before.resources) {
    const key = resourceKey(r);
    if (!notes.has(key)) continue;
    const note = notes.get(key);
    lines.push(
      `  ${r.resourceType} ${r.resourceId} (${r.regionId})${note === undefined ? '' : `: ${note}`}`,
      `    before: ${formatTags(r.tags)}`,
      `    after:  ${formatTags(afterByKey.get(key))}`,
    );
  }
  return lines.join('\n');
}

function formatTags(tags: Readonly<Record<string, string>> | undefined): string {
  if (tags === undefined) return '(no such resource)';
  return (
    Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(no tags)'
  );
}
