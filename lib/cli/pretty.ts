import type { Writable } from 'node:stream';

const MARKS: Record<string, string> = {
  removed: '✓',
  planned: '·',
  partial: '◐',
  failed: '✗',
  rejected: '⊘',
  deferred: '↷',
};

/**
 * A pino destination for terminals: turns the NDJSON contract into one readable line per event.
 * Only used when stdout is a TTY; pipes and files always get the raw JSON lines.
 */
export function prettyDestination(out: Pick<Writable, 'write'>): { write(line: string): void } {
  return {
    write(line: string) {
      const text = renderLine(line);
      if (text !== undefined) out.write(`${text}\n`);
    },
  };
}

/** Renders one JSON log line for humans; undefined hides it (debug chatter). */
export function renderLine(line: string): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const msg = String(doc.msg ?? '');
  if (msg === 'resource.outcome') return renderOutcome(doc);
  if (msg === 'manifest.summary') return renderSummary(doc);
  if (msg === 'call.retry') {
    return `  ↻ retry ${doc.resourceType} ${doc.resourceId} after ${doc.code} (attempt ${doc.attempt}, waiting ${doc.delayMs} ms)`;
  }
  if (doc.level === 'debug' || doc.level === 'trace') return undefined;
  const error = doc.error as { code?: string; message?: string } | undefined;
  return `${String(doc.level ?? 'info').toUpperCase()} ${msg}${error ? `: ${error.code} ${error.message}` : ''}`;
}

function renderOutcome(doc: Record<string, unknown>): string {
  const outcome = String(doc.outcome);
  const target = `${doc.resourceType ?? '?'} ${doc.resourceId ?? '?'} (${doc.regionId ?? '?'})`;
  const removed = (doc.removed as { key: string; value?: string }[] | undefined) ?? [];
  const tags = removed.map((t) => (t.value === undefined ? t.key : `${t.key}=${t.value}`)).join(', ');
  const error = doc.error as { code?: string; message?: string } | undefined;
  const planned = doc.plannedCalls as unknown[][] | undefined;
  const parts = [`${MARKS[outcome] ?? '?'} ${outcome.padEnd(8)} ${target}`];
  if (tags) parts.push(`removed ${tags}`);
  if (planned) parts.push(`would make ${planned.length} call(s): ${planned.map((c) => c.length).join('+')} tags`);
  if (error) parts.push(`${error.code}: ${error.message}`);
  parts.push(`[${doc.calls} call(s), ${doc.attempts} attempt(s)]`);
  return parts.join('  ');
}

function renderSummary(doc: Record<string, unknown>): string {
  const by = Object.entries((doc.byOutcome as Record<string, number>) ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `== ${doc.manifestId}: ${doc.resources} resource(s): ${by || 'none'}; ${doc.tagsRemoved} tag(s) removed in ` +
    `${doc.calls} call(s), ${doc.retries} retries, ${doc.throttled} throttled, ${doc.durationMs} ms\n`
  );
}
