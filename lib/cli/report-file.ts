import { stat, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { ManifestSummary, OutcomeLine } from '../core/outcome.ts';

const REPORT_FORMATS = ['.csv', '.json'] as const;

/**
 * Checks a `--report` path before any call is made, so a typo never costs a finished run its report.
 * Returns why the path cannot be used, or undefined when it can.
 */
export async function reportPathProblem(path: string): Promise<string | undefined> {
  if (path.trim() === '') return '--report needs a file name ending in .csv or .json';
  const format = extname(path).toLowerCase();
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    return `--report ${path}: the name must end in .csv or .json (got '${format || 'no extension'}')`;
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) return `--report ${path} is a directory; name a file inside it`;
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory()) return `--report ${path}: the directory ${dirname(path)} does not exist`;
  return undefined;
}

/** Writes every outcome (and, for JSON, the summaries) to `path`; the format follows the extension. */
export async function writeReport(
  path: string,
  outcomes: readonly OutcomeLine[],
  summaries: readonly ManifestSummary[],
): Promise<void> {
  if (extname(path).toLowerCase() === '.csv') {
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
  'plannedCalls',
  'remaining',
  'resourceGone',
  'calls',
  'attempts',
  'requestIds',
  'errorCode',
  'errorMessage',
  'durationMs',
] as const;

/**
 * RFC 4180 CSV, one row per resource. Tag lists are JSON in their cell (`[{"key":"a","value":"b"}]`), so
 * any key or value, `;` and `=` included, reads back exactly; a leading `=+-@` is prefixed with `'` so a
 * spreadsheet never runs a cell as a formula.
 */
export function toCsv(outcomes: readonly OutcomeLine[]): string {
  const rows = outcomes.map((o) => [
    o.manifestId,
    o.regionId ?? '',
    o.resourceType ?? '',
    o.resourceId ?? '',
    o.outcome,
    JSON.stringify(o.removed),
    o.plannedCalls === undefined ? '' : JSON.stringify(o.plannedCalls),
    o.remaining === undefined ? '' : JSON.stringify(o.remaining),
    o.resourceGone === true ? 'true' : '',
    String(o.calls),
    String(o.attempts),
    JSON.stringify(o.requestIds),
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
