import { writeFile } from 'node:fs/promises';
import type { ManifestSummary, OutcomeLine } from '../core/outcome.ts';

/** Writes every outcome (and, for JSON, the summaries) to `path`; the format follows the extension. */
export async function writeReport(
  path: string,
  outcomes: readonly OutcomeLine[],
  summaries: readonly ManifestSummary[],
): Promise<void> {
  if (path.toLowerCase().endsWith('.csv')) {
    await writeFile(path, toCsv(outcomes));
  } else {
    await writeFile(path, `${JSON.stringify({ outcomes, summaries }, null, 2)}\n`);
  }
}

const CSV_COLUMNS = [
  'manifestId',
  'regionId',
  'resourceType',
  'resourceId',
  'outcome',
  'removed',
  'calls',
  'attempts',
  'requestIds',
  'errorCode',
  'errorMessage',
  'durationMs',
] as const;

/** RFC 4180 CSV; a leading `=+-@` is prefixed so a spreadsheet never runs a cell as a formula. */
export function toCsv(outcomes: readonly OutcomeLine[]): string {
  const rows = outcomes.map((o) => [
    o.manifestId,
    o.regionId ?? '',
    o.resourceType ?? '',
    o.resourceId ?? '',
    o.outcome,
    o.removed.map((t) => (t.value === undefined ? t.key : `${t.key}=${t.value}`)).join(';'),
    String(o.calls),
    String(o.attempts),
    o.requestIds.join(';'),
    o.error?.code ?? '',
    o.error?.message ?? '',
    String(o.durationMs),
  ]);
  return [CSV_COLUMNS, ...rows]
    .map((row) => row.map(csvCell).join(','))
    .join('\r\n')
    .concat('\r\n');
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
