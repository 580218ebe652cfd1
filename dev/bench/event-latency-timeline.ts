// Dev tooling only: the timestamps of each event on its way from POST to the tag being gone, and where
// the time went. All marks are epoch ms from the one process the bench runs in.
import { percentile } from './metrics.ts';

/** The points an event passes, in order. */
export const MARKS = ['posted', 'queued', 'adapterStarted', 'manifestSent', 'cleanupStarted', 'removed'] as const;
export type Mark = (typeof MARKS)[number];

/** The stretch between two consecutive marks, named after what fills it. */
export const PHASES = [
  { id: 'ingest', from: 'posted', to: 'queued', what: 'POST, ingest handler, SendMessage to the events queue' },
  { id: 'events-queue', from: 'queued', to: 'adapterStarted', what: 'events queue: polling and batching window' },
  { id: 'adapter', from: 'adapterStarted', to: 'manifestSent', what: 'adapter: ListTagResources, policy, SendMessage' },
  { id: 'work-queue', from: 'manifestSent', to: 'cleanupStarted', what: 'work queue: polling and batching window' },
  { id: 'removal', from: 'cleanupStarted', to: 'removed', what: 'cleanup: RemoveTags accepted by the emulator' },
] as const satisfies readonly { id: string; from: Mark; to: Mark; what: string }[];
export type PhaseId = (typeof PHASES)[number]['id'];

/** Nearest-rank percentiles of one set of durations, ms. */
export interface Spread {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The timeline's summary over the events that reached the last mark. */
export interface TimelineSummary {
  /** Events that reached every mark. */
  readonly complete: number;
  /** Events that did not (their ids), e.g. the tag never went. */
  readonly incomplete: readonly string[];
  /** POST to RemoveTags accepted. */
  readonly total: Spread;
  /** POST to the ingest answer, seen by the client (overlaps the next phases). */
  readonly answered: Spread;
  readonly phases: Readonly<Record<PhaseId, Spread>>;
}

/**
 * Marks per event id. A mark set twice keeps the first time: a redelivered record or a second manifest
 * naming the same event must not make an event look faster or slower than its first pass.
 */
export class EventTimeline {
  readonly #marks = new Map<string, Partial<Record<Mark | 'answered', number>>>();

  /** Records `mark` for `eventId` at `atMs`, unless it is already set. */
  mark(eventId: string, mark: Mark | 'answered', atMs: number): void {
    const marks = this.#marks.get(eventId) ?? {};
    marks[mark] ??= atMs;
    this.#marks.set(eventId, marks);
  }

  /** Whether the event has reached `mark`. */
  has(eventId: string, mark: Mark | 'answered'): boolean {
    return this.#marks.get(eventId)?.[mark] !== undefined;
  }

  /** Percentiles of the total and of each phase, over the events that reached every mark. */
  summary(): TimelineSummary {
    const complete: Record<Mark | 'answered', number>[] = [];
    const incomplete: string[] = [];
    for (const [id, marks] of this.#marks) {
      if ([...MARKS, 'answered' as const].every((m) => marks[m] !== undefined)) {
        complete.push(marks as Record<Mark | 'answered', number>);
      } else incomplete.push(id);
    }
    const spread = (from: Mark, to: Mark | 'answered') => spreadOf(complete.map((m) => m[to] - m[from]));
    return {
      complete: complete.length,
      incomplete,
      total: spread('posted', 'removed'),
      answered: spread('posted', 'answered'),
      phases: Object.fromEntries(PHASES.map((p) => [p.id, spread(p.from, p.to)])) as Record<PhaseId, Spread>,
    };
  }
}

function spreadOf(values: readonly number[]): Spread {
  return {
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: values.length === 0 ? Number.NaN : Math.max(...values),
  };
}
