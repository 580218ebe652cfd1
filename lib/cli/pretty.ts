import type { Writable } from 'node:stream';
import { terminalSafe } from './terminal-safe.ts';

const MARKS: Record<string, string> = {
  removed: '✓',
  planned: '·',
  partial: '◐',
  failed: '✗',
  rejected: '⊘',
  deferred: '↷',
};

type Doc = Record<string, unknown>;
type Tag = { key: string; value?: string };

/**
 * A pino destination for terminals: turns the NDJSON contract into one readable line per event.
 * Only used when stdout is a TTY; pipes and files always get the raw JSON lines. `beforeWrite` lets a
 * progress meter on the same terminal step aside first.
 */
export function prettyDestination(
  out: Pick<Writable, 'write'>,
  beforeWrite: () => void = () => undefined,
): { write(line: string): void } {
  return {
    write(line: string) {
      const text = renderLine(line);
      if (text === undefined) return;
      beforeWrite();
      out.write(`${text}\n`);
    },
  };
}

/**
 * Renders one JSON log line for humans; undefined hides it (debug chatter). Every value that came from
 * a manifest, a policy or the API goes through terminalSafe, so it cannot drive the terminal.
 */
export function renderLine(line: string): string | undefined {
  let doc: Doc;
  try {
    doc = JSON.parse(line) as Doc;
  } catch {
    return terminalSafe(line.trimEnd());
  }
  const event = String(doc.event ?? doc.msg ?? '');
  if (event === 'resource.outcome') return renderOutcome(doc);
  if (event === 'manifest.summary') return renderSummary(doc);
  if (event === 'sweep.summary') return renderSweepSummary(doc);
  if (event === 'call.retry') {
    return safe`  ↻ retry ${doc.resourceType ?? doc.api} ${doc.resourceId ?? ''} after ${doc.code} (attempt ${doc.attempt}, waiting ${doc.delayMs} ms)`;
  }
  if (event === 'region.unknown') {
    return safe`WARN region ${doc.regionId} is not a known Alibaba Cloud region (manifest ${doc.manifestId}); calls go ahead`;
  }
  if (doc.level === 'debug' || doc.level === 'trace') return undefined;
  const error = doc.error as { code?: string; message?: string } | undefined;
  const level = String(doc.level ?? 'info').toUpperCase();
  return error ? safe`${level} ${event}: ${error.code} ${error.message}` : safe`${level} ${event}`;
}

/** A template tag that makes every interpolated value terminal-safe. */
function safe(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce(
    (text, part, i) => text + part + (i < values.length ? terminalSafe(String(values[i])) : ''),
    '',
  );
}

function tagText(tags: readonly Tag[]): string {
  return tags.map((t) => terminalSafe(t.value === undefined ? t.key : `${t.key}=${t.value}`)).join(', ');
}

function renderOutcome(doc: Doc): string {
  const outcome = String(doc.outcome);
  const parts = [
    safe`${MARKS[outcome] ?? '?'} ${outcome.padEnd(8)} ${doc.resourceType ?? '?'} ${doc.resourceId ?? '?'} (${doc.regionId ?? '?'})`,
  ];
  const removed = (doc.removed as Tag[] | undefined) ?? [];
  if (removed.length > 0) parts.push(`removed ${tagText(removed)}`);
  if (doc.resourceGone === true) parts.push('resource no longer exists');
  const planned = doc.plannedCalls as Tag[][] | undefined;
  if (planned)
    parts.push(`would call RemoveTags ${planned.length}×: ${planned.map((c) => `[${tagText(c)}]`).join(' ')}`);
  const remaining = doc.remaining as Tag[] | undefined;
  if (remaining && remaining.length > 0) parts.push(`remaining ${tagText(remaining)}`);
  const error = doc.error as { code?: string; message?: string } | undefined;
  if (error) parts.push(safe`${error.code}: ${error.message}`);
  parts.push(`[${doc.calls} call(s), ${doc.attempts} attempt(s)]`);
  return parts.join('  ');
}

function renderSummary(doc: Doc): string {
  const by = Object.entries((doc.byOutcome as Record<string, number>) ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const head = safe`== ${doc.manifestId}: ${doc.resources} resource(s): ${by || 'none'}; `;
  if (doc.dryRun === true) {
    return `${head}dry run: would remove ${doc.tagsPlanned ?? 0} tag(s) in ${doc.callsPlanned ?? 0} call(s)\n`;
  }
  return (
    `${head}${doc.tagsRemoved} tag(s) requested and accepted in ${doc.calls} call(s), ` +
    `${doc.retries} retries, ${doc.throttled} throttled, ${doc.durationMs} ms\n`
  );
}

function renderSweepSummary(doc: Doc): string {
  const state = doc.refused ? `REFUSED (${doc.refused})` : doc.complete ? 'complete' : 'INCOMPLETE';
  const missing = (doc.incompletePartitions as string[] | undefined) ?? [];
  return (
    safe`== sweep ${doc.policy}: ${state}; ${doc.resourcesMatched} resource(s) and ${doc.tagsMatched} tag(s) matched, ` +
    safe`${doc.protectedSkipped} protected, ${doc.excludedSkipped} excluded; ${doc.manifests} manifest(s); ` +
    safe`${doc.listCalls} list call(s), ${doc.throttled} throttled, ${doc.durationMs} ms` +
    (missing.length > 0 ? safe`; not listed: ${missing.join(', ')}` : '')
  );
}
