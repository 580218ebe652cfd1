// Dev tooling only: how `npm run local` shows the functions' log lines on a terminal.
import type { Writable } from 'node:stream';
import { renderLine } from '../../lib/cli/pretty.ts';
import { terminalSafe } from '../../lib/cli/terminal-safe.ts';

type Doc = Record<string, unknown>;

/**
 * A pino destination for `npm run local` on a terminal: the summary and event-path lines the CLI's own
 * renderer shows only by name (`invocation.summary`, `events.summary`, `ingest.request`, …) are written
 * out with their fields; the rest goes through the CLI's renderer. Pipes and files keep the JSON lines.
 */
export function localDestination(out: Pick<Writable, 'write'>): { write(line: string): void } {
  return {
    write(line: string) {
      const text = renderLocalLine(line);
      if (text !== undefined) out.write(`${text}\n`);
    },
  };
}

/** One log line for a human; undefined hides it. Every value passes through terminalSafe. */
export function renderLocalLine(line: string): string | undefined {
  let doc: Doc;
  try {
    doc = JSON.parse(line) as Doc;
  } catch {
    return renderLine(line);
  }
  switch (String(doc.event ?? doc.msg ?? '')) {
    case 'invocation.summary':
      return renderInvocation(doc);
    // The same figures as invocation.summary, in CloudWatch's metric format.
    case 'invocation.metrics':
      return undefined;
    case 'events.summary':
      return renderEventsSummary(doc);
    case 'ingest.request':
      return renderIngest(doc);
    case 'event.manifest':
      return safe`  → manifest ${doc.manifestId} (${doc.regionId}): ${doc.resources} resource(s), from event(s) ${list(doc.eventIds)}`;
    case 'event.ignored':
      return safe`  · ignored event ${doc.eventId} (${doc.type ?? 'unknown type'}): ${doc.reason}`;
    case 'event.poison':
      return safe`  ✗ poison message ${doc.messageId}: ${doc.reason}; to the events DLQ`;
    default:
      return renderLine(line);
  }
}

function renderInvocation(doc: Doc): string {
  return (
    safe`== cleanup invocation: ${doc.records} record(s), ${doc.manifests} manifest(s); ` +
    safe`${doc.tagsRemoved} tag(s) requested and accepted in ${doc.calls} call(s), ${doc.retries} retries, ` +
    safe`${doc.throttled} throttled; ${doc.failedResources} failed and ${doc.deferredResources} deferred resource(s); ` +
    safe`${doc.poisonMessages ?? doc.poison} poison; ${doc.batchItemFailures} left for redelivery; ${doc.durationMs} ms`
  );
}

function renderEventsSummary(doc: Doc): string {
  return (
    safe`== events invocation: ${doc.records} record(s) naming ${doc.resources} resource(s); ` +
    safe`verdicts: ${counts(doc.verdicts)}; ignored: ${counts(doc.ignored)}; ${doc.poison} poison; ` +
    safe`${doc.manifests} manifest(s) sent; ${doc.listCalls} list call(s), ${doc.throttled} throttled; ` +
    safe`${doc.batchItemFailures} left for redelivery; ${doc.durationMs} ms`
  );
}

function renderIngest(doc: Doc): string {
  const accepted = doc.status === 202;
  return accepted
    ? safe`ingest ${doc.status} from ${doc.sourceIp}: ${doc.events} event(s) to the events queue, ${doc.durationMs} ms`
    : safe`ingest ${doc.status} from ${doc.sourceIp}: ${doc.reason ?? 'refused'}` +
        (typeof doc.sent === 'number' ? safe` (${doc.sent} of ${doc.events} event(s) sent)` : '');
}

/** `a 1, b 2` for the non-zero counts, or `none`. */
function counts(value: unknown): string {
  const entries = Object.entries((value ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** A template tag that makes every interpolated value terminal-safe. */
function safe(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce(
    (text, part, i) => text + part + (i < values.length ? terminalSafe(String(values[i])) : ''),
    '',
  );
}
