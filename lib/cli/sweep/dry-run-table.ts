/** The dry run's table for a terminal: what a sweep would remove, by key, then by resource type. */
import type { WireManifest } from '../../core/manifest/wire.ts';
import { terminalSafe } from '../terminal-safe.ts';

/** Counts of tags a sweep would remove, by key and by resource type, as aligned text. */
export function dryRunTable(manifests: readonly WireManifest[]): string {
  const byKey = new Map<string, number>();
  const byType = new Map<string, number>();
  for (const manifest of manifests) {
    for (const entry of manifest.resources) {
      byType.set(entry.resourceType, (byType.get(entry.resourceType) ?? 0) + entry.tags.length);
      for (const tag of entry.tags) byKey.set(tag.key, (byKey.get(tag.key) ?? 0) + 1);
    }
  }
  if (byKey.size === 0) return '\nA sweep would remove nothing.\n';
  return `\n${table('tag key', byKey)}\n${table('resource type', byType)}`;
}

function table(title: string, counts: Map<string, number>): string {
  const rows = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const width = Math.max(title.length, ...rows.map(([name]) => terminalSafe(name).length));
  const lines = rows.map(([name, n]) => `  ${terminalSafe(name).padEnd(width)}  ${String(n).padStart(6)}`);
  return `  ${title.padEnd(width)}  ${'tags'.padStart(6)}\n${lines.join('\n')}\n`;
}
