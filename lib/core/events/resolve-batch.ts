/** A batch of queued events resolved together: duplicates dropped and a burst per resource debounced. */
import { refKey } from './ref-collector.ts';
import { excludeSelf, resolveEvent } from './resolve-event.ts';
import { type EventResolution, IGNORED, type ResourceRef } from './types.ts';

/** One distinct resource of a batch and every event that named it. */
export interface ResourceTarget {
  readonly ref: ResourceRef;
  /** CloudEvent `id`s that named the resource, in batch order (for the manifest's `origin.eventIds`). */
  readonly eventIds: readonly string[];
  /** Positions in the input of the events that named it, so a failure can be charged to their records. */
  readonly inputIndexes: readonly number[];
}

/** What {@link resolveBatch} found: a resolution per input, and the distinct resources across them. */
export interface BatchResolution {
  /** One per input, in input order. */
  readonly outcomes: readonly EventResolution[];
  /** One per distinct resource, in the order first named. */
  readonly targets: readonly ResourceTarget[];
}

export interface ResolveBatchOptions {
  /** The job's own principal id; its events are ignored as `self`. */
  readonly selfPrincipalId?: string;
}

/**
 * Resolves each input with {@link resolveEvent}, drops events by the job's own identity, then drops
 * repeats of a `source` + `id` already seen (EventBridge delivers at least once) and merges every event
 * naming the same resource into one target: a burst of events makes one manifest entry.
 */
export function resolveBatch(inputs: readonly unknown[], options: ResolveBatchOptions = {}): BatchResolution {
  const seen = new Set<string>();
  const targets = new Map<string, { ref: ResourceRef; eventIds: Set<string>; inputIndexes: number[] }>();
  const outcomes = inputs.map((input, index): EventResolution => {
    const resolution = excludeSelf(resolveEvent(input), options.selfPrincipalId);
    if (resolution.kind === 'poison') return resolution;
    // JSON of the pair, so that no choice of separator can make two different pairs collide.
    const identity = JSON.stringify([resolution.source, resolution.eventId]);
    if (seen.has(identity)) {
      return { kind: 'ignored', reason: IGNORED.duplicate, eventId: resolution.eventId, source: resolution.source };
    }
    seen.add(identity);
    if (resolution.kind === 'resources') {
      for (const ref of resolution.refs) {
        const target = targets.get(refKey(ref)) ?? { ref, eventIds: new Set<string>(), inputIndexes: [] };
        targets.set(refKey(ref), target);
        target.eventIds.add(resolution.eventId);
        // An event's refs are distinct, so each index is pushed at most once per target.
        target.inputIndexes.push(index);
      }
    }
    return resolution;
  });
  return {
    outcomes,
    targets: [...targets.values()].map((t) => ({
      ref: t.ref,
      eventIds: [...t.eventIds],
      inputIndexes: t.inputIndexes,
    })),
  };
}
